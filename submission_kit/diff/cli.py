"""`submission-kit diff OLD_DIR NEW_DIR`: the command's arguments and its run.

Exit 0: no differences (or none in the --fail-on categories); 1: differences; a UserError
(not a build, unreadable file, bad regex) propagates to the main CLI, which exits 2.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from submission_kit.diff.changes import CATEGORIES, DATE_LINES, LABELS, ignore_rule
from submission_kit.errors import UserError

LISTED = 40  # changes printed on the console; the reports hold them all


def add_diff_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "diff", help="compare two builds: numbers, text, titles, structure, figures, inputs",
        description="Compare two build output folders through what they recorded (manifest, "
                    "table models, results, document structure), not raw DOCX/PDF bytes. "
                    "Exit 0: no differences; 1: differences; 2: error.")
    p.add_argument("old", type=Path, metavar="OLD_DIR", help="output folder of the earlier build")
    p.add_argument("new", type=Path, metavar="NEW_DIR", help="output folder of the later build")
    p.add_argument("--html", type=Path, metavar="FILE",
                   help="write a self-contained HTML report (opens offline)")
    # dest is not "json": the main CLI reads args.json as "answer in JSON on stdout".
    p.add_argument("--json", type=Path, metavar="FILE", dest="json_report",
                   help="write the changes as JSON")
    p.add_argument("--redline", type=Path, metavar="DIR",
                   help="write a Word redline (tracked changes) of each changed document")
    p.add_argument("--fail-on", nargs="+", action="extend", default=[], metavar="CATEGORY",
                   choices=CATEGORIES,
                   help="exit 1 only when one of these categories changed: "
                        + ", ".join(CATEGORIES))
    p.add_argument("--ignore", action="append", default=[], metavar="REGEX",
                   help="ignore changes whose location or old/new text matches REGEX "
                        "(repeatable)")
    p.add_argument("--ignore-dates", action="store_true",
                   help="ignore title-page lines starting 'Version:' or 'Data cutoff:'. Off by "
                        "default: without this flag those lines are compared like any other")
    p.add_argument("--old-study", type=Path, metavar="STUDY_TOML",
                   help="the study.toml the old build used (to compare datasets row by row, "
                        "study.toml keys, templates and specs); found automatically when it "
                        "sits next to the output folder")
    p.add_argument("--new-study", type=Path, metavar="STUDY_TOML",
                   help="the study.toml the new build used")
    return p


def run_diff(args: argparse.Namespace, console: Any) -> int:
    """`console`: a rich Console, or the CLI's Reporter (its `status` stream, which --quiet
    silences)."""
    from submission_kit.diff.compare import compare
    from submission_kit.diff.load import load_pair

    say = _printer(console)
    rules = [ignore_rule(text) for text in args.ignore]
    if args.ignore_dates:
        rules.append(DATE_LINES)
    _check_destinations(args)
    pair = load_pair(args.old, args.new, args.old_study, args.new_study)
    report = compare(pair, rules)
    _write_reports(args, pair, report, say)
    _print_summary(report, say)
    return report.exit_code(args.fail_on)


def _printer(console: Any) -> Callable[[Text], None]:
    # rich's Console has a `status` too (a spinner): only a Reporter's is a message stream.
    if hasattr(console, "status") and not isinstance(console, Console):
        status: Callable[[Text], None] = console.status
        return status
    return lambda text: console.print(text, soft_wrap=True)


def _check_destinations(args: argparse.Namespace) -> None:
    """Reports never go inside a build: a build refuses to replace a folder holding files its
    manifest does not list, so a report there would block the next build."""
    builds = [Path(args.old).resolve(), Path(args.new).resolve()]
    for option, target in (("--html", args.html), ("--json", args.json_report),
                           ("--redline", args.redline)):
        if target is None:
            continue
        resolved = Path(target).resolve()
        if any(resolved.is_relative_to(b) for b in builds):
            raise UserError(f"{option} {target}: inside a build folder; write reports "
                            "elsewhere (a build refuses to replace a folder with files it did "
                            "not write)")
        if option != "--redline" and resolved.is_dir():
            raise UserError(f"{option} {target}: is a folder; give a file name")


def _write_reports(args: argparse.Namespace, pair: Any, report: Any,
                   say: Callable[[Text], None]) -> None:
    from submission_kit.diff.redline import as_redlines
    from submission_kit.diff.report_html import as_html
    from submission_kit.diff.report_json import as_report_json

    if args.json_report:
        _write(Path(args.json_report), as_report_json(report).encode(), say)
    if args.html:
        _write(Path(args.html), as_html(report).encode(), say)
    if args.redline:
        folder = Path(args.redline)
        for name, data in as_redlines(pair, report).items():
            _write(folder / name, data, say)


def _write(path: Path, data: bytes, say: Callable[[Text], None]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise UserError(f"{path}: cannot write: {exc.strerror or exc}") from None
    say(Text("Wrote ") + Text(str(path)))


def _print_summary(report: Any, say: Callable[[Text], None]) -> None:
    say(Text(f"Old: {report.old.folder} (manifest {report.old.manifest_sha256[:12]}, "
                       f"submission-kit {report.old.tool_version}, data cutoff "
                       f"{report.old.data_cutoff})"))
    say(Text(f"New: {report.new.folder} (manifest {report.new.manifest_sha256[:12]}, "
                       f"submission-kit {report.new.tool_version}, data cutoff "
                       f"{report.new.data_cutoff})"))
    if not report.changes:
        ignored = f" ({len(report.ignored)} ignored)" if report.ignored else ""
        say(Text("No differences" + ignored, style="green"))
        return
    counts = ", ".join(f"{LABELS[c].lower()} {n}" for c, n in report.counts().items() if n)
    say(Text(f"{len(report.changes)} changes: {counts}", style="bold")
        + Text(f" ({len(report.ignored)} ignored)" if report.ignored else ""))
    for change in report.changes[:LISTED]:
        say(Text(f"  [{change.category}] ", style="dim") + Text(change.summary()))
    if len(report.changes) > LISTED:
        say(Text(f"  … {len(report.changes) - LISTED} more (see --html or --json)"))
    for note in report.notes:
        say(Text(f"note: {note}", style="yellow"))
