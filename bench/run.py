"""Benchmark: cold build of the demo study (fresh interpreter, empty output), with peak memory.

    python bench/run.py [--repeat N] [--subjects N] [--jobs N]
    python bench/run.py --listing 1000 5000
    python bench/run.py --incremental      (rebuild times: bench/incremental.py)

--subjects also simulates a demo study of that size (e.g. 10000) and builds it the same way.
--writers times the writers alone on long tables: the DOCX writer on the 5,000-row listing
16.2.7 and on a 2,000-row table, each against the anchor python-docx's cell API (add_row,
cell.text) on the same table in the same run, and the PDF writer on the 2,000-row table. The
pagination (shared by both writers, paid once per table) is timed apart from the DOCX writing.
--listing N [N ...] times a listing of N rows and 8 text columns (landscape) side by side: our
PDF writer (a standalone table is drawn directly from its pagination), the same table through
WeasyPrint (the HTML path every table took before; on at most --html-rows rows, since it costs
~20 ms of CPU per row), our DOCX writer, python-docx's cell API on the same table
(--cell-api-rows of it, extrapolated per row), and the anchor: rtflite's RTF of the same
listing converted by LibreOffice headless.
Prints the machine's load first, then wall time and CPU time (this process and the worker
processes it waited for), per run, the median, and the peak resident memory of the build.
Figures vary with the machine and its load: compare ratios within one run, not seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import io
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from submission_kit.documents.model import Document
from submission_kit.tables.model import Column, Row, TableModel

T = TypeVar("T")

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


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and of every child it has waited for."""
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                         resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return (f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores "
            "(uptime); other processes share these cores")


def timed_build(args: list[str], out: Path) -> tuple[float, float, float]:
    """(seconds, CPU seconds, peak RSS in MB) of one `submission-kit build` in a new process."""
    shutil.rmtree(out, ignore_errors=True)
    start, cpu = time.perf_counter(), cpu_seconds()
    done = subprocess.run([sys.executable, "-c", _MEASURED, "build", "--out", str(out), *args],
                          check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True)
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    return seconds, cpu, int(done.stdout.split()[-1]) / 1024


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


def report(name: str, runs: list[tuple[float, float, float]]) -> float:
    times = [t for t, _, _ in runs]
    median = statistics.median(times)
    print(f"{name}: cold build {median:.2f} s median of {len(times)} "
          f"({', '.join(f'{t:.2f}' for t in times)}); CPU "
          f"{statistics.median(c for _, c, _ in runs):.2f} s median; "
          f"peak RSS {max(m for _, _, m in runs):.0f} MB")
    return median


def long_table(rows: int) -> TableModel:
    """A listing-shaped table model: 9 columns of short text."""
    columns = tuple(Column(f"C{i}", f"Column {i}") for i in range(8))
    body = tuple(Row(f"Subject {i:05d}", tuple(f"{i % 97}.{j}" for j in range(8)))
                 for i in range(rows))
    return TableModel("16.2.1", ("Listing 16.2.1", "Long listing", "All subjects"), columns,
                      body, orientation="landscape")


def time_writers(cell_api_rows: int) -> None:
    from submission_kit.build import tlf_document
    from submission_kit.cli import DEMO_STUDY
    from submission_kit.study import load_study
    from submission_kit.writers.pdf import as_pdf

    study = load_study(DEMO_STUDY)
    print(f"writers alone ({load()}); CPU seconds, ratios on CPU time:")
    warm = listing_model(50)  # imports, the template, the font's widths: paid once per process
    time_docx(tlf_document(study, warm), warm, cell_api_rows, quiet=True)
    for model in (listing_model(5000), long_table(2000)):
        time_docx(tlf_document(study, model), model, cell_api_rows)
    rows = 2000
    document = tlf_document(study, long_table(rows))
    seconds, cpu, data = _timed(lambda: as_pdf(document))
    print(f"PDF writer, {rows}-row table: {seconds:.2f} s, CPU "
          f"{1000 * cpu / rows:.3f} ms per row ({len(data) / 1024:.0f} KB)")


def time_docx(document: Document, model: TableModel, cell_api_rows: int, quiet: bool = False
              ) -> None:
    """The DOCX writer on one table against python-docx's cell API on the same table: the
    pagination first (the PDF writer shares it), then the DOCX writing on that pagination
    (median of 3 runs; the anchor runs once, over seconds)."""
    from submission_kit.writers.docx import as_docx
    from submission_kit.writers.tlf_layout import layout_of

    rows = len(model.rows)
    _, pages_cpu, layout = _timed(lambda: layout_of(model, document.style))
    runs = [_timed(lambda: as_docx(document)) for _ in range(3)]
    docx_cpu, data = statistics.median(cpu for _, cpu, _ in runs), runs[0][2]
    _, api_cpu, _ = _timed(lambda: cell_api_seconds(model, rows))
    part = min(rows, cell_api_rows)
    _, part_cpu, _ = _timed(lambda: cell_api_seconds(model, part))
    if quiet:
        return
    print(f"DOCX, table {model.id}: {rows} rows x {len(model.columns) + 1} columns, "
          f"{len(layout.pages)} pages ({len(data) / 1024:.0f} KB)")
    print(f"  pagination (shared with PDF)   {pages_cpu:6.2f} s = "
          f"{1000 * pages_cpu / rows:.3f} ms per row")
    print(f"  DOCX writing on it             {docx_cpu:6.2f} s = "
          f"{1000 * docx_cpu / rows:.3f} ms per row")
    print(f"  python-docx cell API, all rows {api_cpu:6.2f} s = "
          f"{1000 * api_cpu / rows:.3f} ms per row (over the first {part} rows: "
          f"{1000 * part_cpu / part:.3f} ms per row)")
    total = pages_cpu + docx_cpu
    print(f"  bulk OOXML vs cell API: {api_cpu / docx_cpu:.0f}x (DOCX writing), "
          f"{api_cpu / total:.0f}x (with the pagination); against the first-{part}-row rate "
          f"{part_cpu / part * rows / docx_cpu:.0f}x and {part_cpu / part * rows / total:.0f}x")


_TERMS = ("Headache", "Nausea", "Application site pruritus", "Dizziness", "Erythema",
          "Fatigue", "Upper respiratory tract infection", "Diarrhoea")
_SOCS = ("Nervous system disorders", "Gastrointestinal disorders",
         "General disorders and administration site conditions", "Nervous system disorders",
         "Skin and subcutaneous tissue disorders", "General disorders and administration site "
         "conditions", "Infections and infestations", "Gastrointestinal disorders")
_ARMS = ("Placebo", "Xanomeline Low Dose", "Xanomeline High Dose")
_SEVERITY = ("MILD", "MODERATE", "SEVERE")


def listing_rows(rows: int) -> list[list[str]]:
    """An adverse event listing's text: 8 columns, values cycling deterministically."""
    out = []
    for i in range(rows):
        day = 1 + i % 28
        out.append([f"01-{701 + i // 40:03d}-{1000 + i:04d}", _ARMS[i % 3], _TERMS[i % 8],
                    _SOCS[i % 8], f"2014-{1 + i % 12:02d}-{day:02d}",
                    f"2014-{1 + i % 12:02d}-{min(day + 3, 28):02d}", _SEVERITY[i % 3],
                    "Y" if i % 17 == 0 else "N"])
    return out


LISTING_HEADERS = ("Subject", "Treatment", "Adverse event", "System organ class", "Start date",
                   "End date", "Severity", "Serious")


def listing_model(rows: int) -> TableModel:
    data = listing_rows(rows)
    columns = tuple(Column(f"C{i}", label) for i, label in enumerate(LISTING_HEADERS[1:]))
    return TableModel("16.2.7", ("Listing 16.2.7", "Adverse Events", "Safety Population"),
                      columns, tuple(Row(r[0], tuple(r[1:])) for r in data),
                      footnotes=("Dates are ISO 8601.",), source="ADAE; program bench",
                      stub_header=LISTING_HEADERS[0], orientation="landscape")


def _timed(action: Callable[[], T]) -> tuple[float, float, T]:
    """(wall seconds, CPU seconds incl. waited-for workers, result) of one call."""
    start, cpu = time.perf_counter(), cpu_seconds()
    result = action()
    return time.perf_counter() - start, cpu_seconds() - cpu, result


def rtf_anchor(rows: int, work: Path) -> tuple[float, float, int, str]:
    """(seconds to write the RTF, seconds for LibreOffice to convert it, pages, how)."""
    path = work / "listing.rtf"
    try:
        import polars as pl
        import rtflite

        frame = pl.DataFrame(dict(zip(LISTING_HEADERS, zip(*listing_rows(rows), strict=True),
                                      strict=True)))
        document = rtflite.RTFDocument(
            df=frame, rtf_page=rtflite.RTFPage(orientation="landscape"),
            rtf_title=rtflite.RTFTitle(text=["Listing 16.2.7", "Adverse Events",
                                             "Safety Population"]),
            rtf_column_header=[rtflite.RTFColumnHeader(text=list(LISTING_HEADERS))],
            rtf_footnote=rtflite.RTFFootnote(text=["Dates are ISO 8601."]),
            rtf_source=rtflite.RTFSource(text=["Source: ADAE; program bench"]))
        with contextlib.redirect_stdout(io.StringIO()):  # rtflite prints the file's path
            write_s, _, _ = _timed(lambda: document.write_rtf(str(path)))
        how = f"rtflite {importlib.metadata.version('rtflite')}"
    except ImportError:
        write_s, _, _ = _timed(lambda: path.write_text(_plain_rtf(rows), encoding="ascii"))
        how = "rtflite not installed: a plain RTF table written by this script"
    convert_s, _, _ = _timed(lambda: subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(work), str(path)],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    pages = _pdf_pages((work / "listing.pdf").read_bytes())
    return write_s, convert_s, pages, how


def _plain_rtf(rows: int) -> str:
    """A landscape RTF table with a repeated header row, for when rtflite is missing."""
    edges = "".join(f"\\cellx{1700 * (i + 1)}" for i in range(8))
    head = "\\trowd\\trhdr" + edges + "".join(f"{h}\\cell " for h in LISTING_HEADERS)
    body = "".join("\\trowd" + edges + "".join(f"{c}\\cell " for c in r) + "\\row\n"
                   for r in listing_rows(rows))
    return ("{\\rtf1\\ansi\\paperw15840\\paperh12240\\landscape\\fs18 "
            + head + "\\row\n" + body + "}")


def _pdf_pages(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def cell_api_seconds(model: TableModel, rows: int) -> float:
    """python-docx's cell API (add_table, cell.text) on the first `rows` rows."""
    import docx

    document = docx.Document()
    table = document.add_table(rows=1, cols=len(model.columns) + 1)
    for cell, text in zip(table.rows[0].cells, [model.stub_header,
                                                *(c.label for c in model.columns)], strict=True):
        cell.text = text
    start = time.perf_counter()
    for row in model.rows[:rows]:
        cells = table.add_row().cells
        for cell, text in zip(cells, (row.label, *row.cells), strict=True):
            cell.text = text
    document.save(io.BytesIO())
    return time.perf_counter() - start


def time_listing(rows: int, cell_api_rows: int, html_rows: int) -> None:
    """Our writers against the anchors, one after the other in this run."""
    from submission_kit.build import tlf_document
    from submission_kit.cli import DEMO_STUDY
    from submission_kit.study import load_study
    from submission_kit.writers.docx import as_docx
    from submission_kit.writers.pdf import as_pdf, weasyprint_pdf

    study = load_study(DEMO_STUDY)
    document = tlf_document(study, listing_model(rows))
    pdf_s, pdf_cpu, pdf = _timed(lambda: as_pdf(document))
    html_n = min(rows, html_rows)
    html_doc = tlf_document(study, listing_model(html_n))
    html_s, html_cpu, _ = _timed(lambda: weasyprint_pdf(html_doc))
    docx_s, docx_cpu, _ = _timed(lambda: as_docx(document))
    with tempfile.TemporaryDirectory() as tmp:
        write_s, convert_s, rtf_pages, how = rtf_anchor(rows, Path(tmp))
    api = cell_api_seconds(listing_model(rows), min(rows, cell_api_rows)) / min(rows,
                                                                                 cell_api_rows)
    anchor = write_s + convert_s
    print(f"listing, {rows} rows x 8 text columns, landscape ({load()}):")
    print(f"  submission-kit PDF   {pdf_s:6.2f} s, CPU {pdf_cpu:6.2f} s = "
          f"{1000 * pdf_cpu / rows:.2f} ms per row ({_pdf_pages(pdf)} pages, drawn directly)")
    print(f"  same via WeasyPrint  {html_s:6.2f} s, CPU {html_cpu:6.2f} s = "
          f"{1000 * html_cpu / html_n:.2f} ms per row over {html_n} rows (the HTML path)")
    print(f"  anchor: {how}: write RTF {write_s:.2f} s, LibreOffice RTF->PDF {convert_s:.2f} s "
          f"({rtf_pages} pages); together {anchor:.2f} s")
    print(f"  PDF vs rtflite + LibreOffice: {anchor / pdf_s:.1f}x faster (wall), vs the "
          f"LibreOffice conversion alone {convert_s / pdf_s:.1f}x")
    if html_n < rows:
        print(f"  WeasyPrint path extrapolated to {rows} rows: {html_s * rows / html_n:.0f} s "
              f"wall, {html_cpu * rows / html_n:.0f} s CPU")
    print(f"  submission-kit DOCX  {docx_s:6.2f} s, CPU {1000 * docx_cpu / rows:.2f} ms per row")
    print(f"  python-docx cell API {1000 * api:.2f} ms per row over {min(rows, cell_api_rows)} "
          f"rows: bulk OOXML is {api * rows / docx_s:.0f}x faster")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--subjects", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--writers", action="store_true")
    parser.add_argument("--listing", type=int, nargs="*", default=[])
    parser.add_argument("--cell-api-rows", type=int, default=1000)
    parser.add_argument("--html-rows", type=int, default=1000)
    parser.add_argument("--incremental", action="store_true",
                        help="cold build, then no-change, one-section, one-table and "
                             "one-dataset rebuilds (bench/incremental.py)")
    args = parser.parse_args()
    print(load())
    if args.incremental:
        sys.path.insert(0, str(Path(__file__).parent))
        from incremental import time_incremental

        time_incremental(args.repeat, args.jobs)
        return
    if args.listing:
        for rows in args.listing:
            time_listing(rows, args.cell_api_rows, args.html_rows)
        return
    if args.writers:
        time_writers(args.cell_api_rows)
        return
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
