"""Benchmark: cold build of the demo study (fresh interpreter, empty output), with peak memory.

    python bench/run.py [--repeat N] [--subjects N] [--jobs N]

--subjects also simulates a demo study of that size (e.g. 10000) and builds it the same way.
--writers times the writers alone on long tables (4,000 rows to DOCX, 2,000 rows to PDF).
Prints wall time per run, the median, and the peak resident memory of the build process.
Figures vary with the machine: compare ratios (e.g. 10,000 vs 220 subjects), not seconds.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from submission_kit.tables.model import Column, Row, TableModel

CLI = [sys.executable, "-m", "submission_kit"]
# Runs the CLI in the child and prints that process's own peak RSS (kB) on stdout. VmHWM, not
# ru_maxrss: Linux keeps ru_maxrss across execve, so a child would inherit this process's peak.
_MEASURED = ("import resource, sys\n"
             "from submission_kit.cli import main\n"
             "code = main(sys.argv[1:])\n"
             "try:\n"
             "    status = open('/proc/self/status').read().split('VmHWM:')[1]\n"
             "    print(int(status.split()[0]))\n"
             "except (OSError, IndexError):\n"
             "    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
             "sys.exit(code)\n")


def timed_build(args: list[str], out: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one `submission-kit build` in a new process."""
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _MEASURED, "build", "--out", str(out), *args],
                          check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True)
    seconds = time.perf_counter() - start
    return seconds, int(done.stdout.split()[-1]) / 1024


def scaled_study(workdir: Path, subjects: int) -> Path:
    """A copy of the demo study whose data are simulated with `subjects` subjects."""
    from submission_kit.cli import DEMO_STUDY

    study_dir = workdir / f"demo-{subjects}"
    subprocess.run([*CLI, "demo-data", str(study_dir / "data"), "--subjects", str(subjects),
                    "--format", "parquet"], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    (study_dir / "study.toml").write_text(DEMO_STUDY.read_text(encoding="utf-8"),
                                          encoding="utf-8")
    return study_dir / "study.toml"


def report(name: str, runs: list[tuple[float, float]]) -> float:
    times = [t for t, _ in runs]
    median = statistics.median(times)
    print(f"{name}: cold build {median:.2f} s median of {len(times)} "
          f"({', '.join(f'{t:.2f}' for t in times)}); peak RSS {max(m for _, m in runs):.0f} MB")
    return median


def long_table(rows: int) -> TableModel:
    """A listing-shaped table model: 9 columns of short text."""
    columns = tuple(Column(f"C{i}", f"Column {i}") for i in range(8))
    body = tuple(Row(f"Subject {i:05d}", tuple(f"{i % 97}.{j}" for j in range(8)))
                 for i in range(rows))
    return TableModel("16.2.1", ("Listing 16.2.1", "Long listing", "All subjects"), columns,
                      body, orientation="landscape")


def time_writers() -> None:
    from submission_kit.build import tlf_document
    from submission_kit.cli import DEMO_STUDY
    from submission_kit.study import load_study
    from submission_kit.writers.docx import as_docx
    from submission_kit.writers.pdf import as_pdf

    study = load_study(DEMO_STUDY)
    for rows, name, writer in ((4000, "DOCX", as_docx), (2000, "PDF", as_pdf)):
        document = tlf_document(study, long_table(rows))
        start = time.perf_counter()
        size = len(writer(document))
        seconds = time.perf_counter() - start
        print(f"{name} writer, {rows}-row table: {seconds:.2f} s "
              f"({1000 * seconds / rows:.2f} ms per row, {size / 1024:.0f} KB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--subjects", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--writers", action="store_true")
    args = parser.parse_args()
    if args.writers:
        time_writers()
    jobs = ["--jobs", str(args.jobs)]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        demo = report("demo (220 subjects)",
                      [timed_build(jobs, work / "out") for _ in range(args.repeat)])
        if args.subjects:
            study = scaled_study(work, args.subjects)
            scaled = report(f"demo ({args.subjects} subjects)",
                            [timed_build(["--study", str(study), *jobs], work / "out")
                             for _ in range(args.repeat)])
            print(f"ratio {args.subjects} / 220 subjects: {scaled / demo:.2f}x")


if __name__ == "__main__":
    main()
