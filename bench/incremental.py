"""Benchmark of the build graph: each rebuild against the cold build, in one run.

    python bench/run.py --incremental [--repeat N] [--jobs N]

On a copy of the demo study (`submission-kit init`), each a whole `submission-kit build` in a
new process, as a user runs it:

- cold: empty output folder, no cache (the anchor every other figure is compared with);
- no change: the same build again (everything proven current by its inputs' hashes);
- one section: the meeting package's template edited (one sentence added): only the document
  is rebuilt;
- one table: one table's footnote edited in study.toml: that table, and the document that
  places it, are rebuilt;
- one dataset: ADLB changed (one value): the laboratory tables and whatever places them.

Each rebuild starts from a copy of the cold build's output and cache, and its edit is undone
after it, so no repetition finds the edited state in the cache. Prints the median wall time of
each and its ratio to the cold build.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

CLI = [sys.executable, "-m", "submission_kit"]


def _build(study: Path, out: Path, jobs: int) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([*CLI, "build", "--study", str(study), "--out", str(out),
                           "--jobs", str(jobs)], check=True, capture_output=True, text=True)
    return time.perf_counter() - start, done.stderr.strip().splitlines()[-1]


def _edit_template(study_dir: Path) -> Callable[[], None]:
    template = study_dir / "templates/fda-meeting-package/07-purpose.md.j2"  # one section
    original = template.read_text(encoding="utf-8")
    template.write_text(original + "\nThis sentence was added for the benchmark.\n",
                        encoding="utf-8")
    return lambda: template.write_text(original, encoding="utf-8")


def _edit_footnote(study_dir: Path) -> Callable[[], None]:
    path = study_dir / "study.toml"
    original = path.read_text(encoding="utf-8")
    header = '[tables."14.1.3"]\n'
    path.write_text(original.replace(header, header + 'footnotes = ["Benchmark edit."]\n', 1),
                    encoding="utf-8")
    return lambda: path.write_text(original, encoding="utf-8")


def _edit_dataset(study_dir: Path) -> Callable[[], None]:
    import pandas as pd

    path = study_dir / "data/adlb.parquet"
    original = path.read_bytes()
    frame = pd.read_parquet(path)
    frame.loc[frame.index[0], "AVAL"] = frame["AVAL"].iloc[0] * 1.5
    frame.to_parquet(path)
    return lambda: path.write_bytes(original)


def time_incremental(repeat: int, jobs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        study_dir = work / "study"
        subprocess.run([*CLI, "init", str(study_dir)], check=True, capture_output=True)
        study, out = study_dir / "study.toml", work / "out"
        cold = []
        for _ in range(repeat):
            shutil.rmtree(out, ignore_errors=True)
            cold.append(_build(study, out, jobs)[0])
        anchor = statistics.median(cold)
        base = work / "cold"  # each rebuild starts from this output and its cache
        shutil.copytree(out, base)
        print(f"cold build: {anchor:.2f} s median of {repeat} "
              f"({', '.join(f'{t:.2f}' for t in cold)})")
        cases: list[tuple[str, Callable[[Path], Callable[[], None]] | None]] = [
            ("no change", None), ("one section (template edited)", _edit_template),
            ("one table (footnote edited)", _edit_footnote),
            ("one dataset (ADLB value changed)", _edit_dataset)]
        for name, edit in cases:
            runs, said = [], ""
            for _ in range(repeat):
                # From the cold output each time: a cache that already holds the edited
                # state (an earlier repetition's) would make the rebuild a cache hit.
                shutil.rmtree(out)
                shutil.copytree(base, out)
                undo = edit(study_dir) if edit else None
                seconds, said = _build(study, out, jobs)
                runs.append(seconds)
                if undo:
                    undo()
            median = statistics.median(runs)
            print(f"{name}: {median:.2f} s median ({', '.join(f'{t:.2f}' for t in runs)}); "
                  f"{median / anchor:.1%} of the cold build\n    {said}")
