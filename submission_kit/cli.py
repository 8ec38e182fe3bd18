"""The `submission-kit` command. Exit codes: 0 ok, 1 a bug, 2 something the user can fix
(data, configuration, template, a mistyped command), reported without a traceback unless
--debug is given; 130 interrupted. What goes to stdout and stderr: `cli_output`."""

from __future__ import annotations

import argparse
import difflib
import os
import shlex
import shutil
import sys
import time
import traceback
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NoReturn, cast

from rich.text import Text

from submission_kit import __version__
from submission_kit.cli_output import (
    Reporter,
    analysis_log,
    build_progress,
    error_document,
    output_title,
    print_json,
    study_document,
)
from submission_kit.diff.cli import add_diff_parser, run_diff
from submission_kit.errors import UserError
from submission_kit.outputs import DELIVERABLES, RECORDS
from submission_kit.study import Study

DEMO_DIR = Path(__file__).resolve().parent / "demo"
DEMO_STUDY = DEMO_DIR / "study.toml"


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


class _Parser(argparse.ArgumentParser):
    """argparse with a suggestion for a mistyped choice (`biuld` -> build). CPython 3.14 has
    this as `suggest_on_error`; we support 3.11, so it is done here, in the same place."""

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        if action.choices is not None and value not in action.choices:
            choices = [str(c) for c in action.choices]
            hint = did_you_mean(str(value), choices)
            if action.dest == "command":  # no "argument COMMAND:" prefix for this one
                raise argparse.ArgumentError(None, f"unknown command {value!r}{hint} "
                                                   f"(commands: {', '.join(choices)})")
            raise argparse.ArgumentError(
                action, f"invalid choice: {value!r}{hint} (choose from {', '.join(choices)})")

    def error(self, message: str) -> NoReturn:
        """Usage errors print as argparse prints them; the message is kept so that a --json
        command can also answer with a JSON error document on stdout."""
        _Parser.last_error = f"{self.prog}: {message}"
        super().error(message)

    last_error = ""

    def option_strings(self) -> list[str]:
        return [s for action in self._actions for s in action.option_strings]


class _Help(argparse.RawDescriptionHelpFormatter):
    """Keeps the line breaks of descriptions and examples."""


TOP_EPILOG = """\
examples:
  submission-kit build                       the bundled demo study into ./output
  submission-kit init mystudy                an editable copy of the demo to start from
  submission-kit validate --study mystudy    check your study without writing anything

Exit codes: 0 ok, 2 a problem you can fix (the message names it), 1 a bug, 130 interrupted.
`submission-kit COMMAND --help` shows a command's options and defaults."""

# command -> (one-line description, examples for its --help)
COMMAND_HELP = {
    "build": ("build tables, figures and documents into an output folder",
              "  submission-kit build --study mystudy --out mystudy/output\n"
              "  submission-kit build --only 14.1.3 14.2.1 --format pdf --jobs 2"),
    "validate": ("check configuration, data and templates; write nothing",
                 "  submission-kit validate --study mystudy\n"
                 "  submission-kit validate --study mystudy --json > validate.json"),
    "list": ("list the tables, figures and documents a study builds",
             "  submission-kit list --study examples/cdiscpilot01\n"
             "  submission-kit list --available --study mystudy"),
    "add": ("append an output's example configuration block to a study.toml",
            "  submission-kit add t-14-3-1-5 --study mystudy\n"
            "  submission-kit add fda-meeting-package --study mystudy"),
    "verify": ("check a build folder against its manifest: files intact, inputs unchanged",
               "  submission-kit verify output\n"
               "  submission-kit verify output --json > verify.json"),
    "check": ("report whether a finished build is ready to submit: FDA PDF rules, titles, "
              "placeholders, cross-references, one text per statistic",
              "  submission-kit check output\n"
              "  submission-kit check output --json > check.json"),
    "export": ("copy a build's deliverables into eCTD module folders, with a checksum listing",
               "  submission-kit export output submission --ectd\n"
               "  submission-kit export output submission --ectd --indication als"),
    "init": ("write an editable copy of the demo study (config, data, templates) into DIR",
             "  submission-kit init mystudy"),
    "demo-data": ("simulate the demo ADaM datasets into DIR",
                  "  submission-kit demo-data mydata --format csv\n"
                  "  submission-kit demo-data big --subjects 2000 --seed 1"),
}


def _parser() -> tuple[_Parser, dict[str, _Parser]]:
    parser = _Parser(prog="submission-kit", allow_abbrev=False, formatter_class=_Help,
                     description="Build ICH E3 tables, figures and regulatory documents "
                                 "from ADaM data.", epilog=TOP_EPILOG)
    parser.add_argument("--version", action="version", version=f"submission-kit {__version__}")
    _global_args(parser, False)
    sub = parser.add_subparsers(title="commands", dest="command", required=True,
                                metavar="COMMAND")
    commands = {}
    for name, (summary, examples) in COMMAND_HELP.items():
        commands[name] = sub.add_parser(
            name, help=summary, description=summary[0].upper() + summary[1:] + ".",
            epilog=f"examples:\n{examples}", allow_abbrev=False, formatter_class=_Help)
        _global_args(commands[name], argparse.SUPPRESS)
    _build_args(commands["build"])
    for name in ("validate", "list"):
        _study_arg(commands[name])
        commands[name].add_argument("--json", action="store_true",
                                    help="print a JSON document on stdout, for scripts and CI")
    _export_args(commands["export"])
    commands["verify"].add_argument("dir", type=Path, metavar="DIR",
                                    help="a build folder (it holds records/manifest.json)")
    commands["verify"].add_argument(
        "--study", type=Path, default=None, metavar="PATH",
        help="the study to check the recorded inputs against (default: the study.toml with the "
             "recorded hash, next to DIR, beside it or in the current folder)")
    commands["verify"].add_argument("--json", action="store_true",
                                    help="print a JSON document on stdout, for scripts and CI")
    commands["check"].add_argument("dir", type=Path, nargs="?", default=Path("output"),
                                   metavar="OUT_DIR",
                                   help="a build folder (default: ./output)")
    commands["check"].add_argument("--json", action="store_true",
                                   help="print a JSON document on stdout, for scripts and CI")
    commands["list"].add_argument(
        "--available", action="store_true",
        help="every table, figure and document the tool ships, what each needs and whether "
             "the study has it (default: only what the study configures)")
    _add_args(commands["add"])
    commands["init"].add_argument("dir", type=Path, metavar="DIR",
                                  help="a new or empty folder")
    _demo_data_args(commands["demo-data"])
    commands["diff"] = cast(_Parser, add_diff_parser(sub))  # sub makes _Parser instances
    _global_args(commands["diff"], argparse.SUPPRESS)
    return parser, commands


def _global_args(parser: argparse.ArgumentParser, default: Any) -> None:
    """On the main parser (default False) and on each command (default SUPPRESS, so an option
    not repeated after the command keeps the value given before it)."""
    group = parser.add_argument_group("global options (before or after the command)")
    group.add_argument("--debug", action="store_true", default=default,
                       help="show a traceback with errors")
    group.add_argument("-q", "--quiet", action="store_true", default=default,
                       help="print only errors (and what list or --json are asked for)")
    group.add_argument("-v", "--verbose", action="store_true", default=default,
                       help="also print the analysis log (why a statistic is not estimable)")


def _study_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--study", type=Path, default=None, metavar="PATH",
                        help="a study folder or its study.toml (default: the bundled demo study)")


def _build_args(b: argparse.ArgumentParser) -> None:
    _study_arg(b)
    b.add_argument("--out", type=Path, default=Path("output"), metavar="DIR",
                   help="output folder (default: ./output)")
    b.add_argument("--only", nargs="+", default=[], metavar="ID",
                   help="only (re)build these outputs and what they need: 14.1.3, t-14-1-3, "
                        "fda-meeting-package (default: everything). Other outputs are kept; "
                        "those whose inputs changed are marked stale in the manifest")
    b.add_argument("--format", default="docx,pdf",
                   help="docx, pdf or docx,pdf (default: %(default)s)")
    b.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                   help="processes for the analyses and DOCX/PDF rendering (default: the number "
                        "of cores, %(default)s here)")
    b.add_argument("--executor", default="local", metavar="WHERE",
                   help="where the analyses and DOCX/PDF rendering run: local worker processes, or "
                        "dask://HOST:PORT, a Dask scheduler (pip install 'submission-kit[dask]')"
                        " (default: %(default)s)")
    b.add_argument("--plan", action="store_true",
                   help="print what would be rebuilt and why (the inputs that changed); build "
                        "nothing")
    b.add_argument("--no-check", action="store_true",
                   help="skip the submission-readiness check that runs after a build "
                        "(`submission-kit check`)")
    b.add_argument("--mock", action="store_true",
                   help="write every table as a mock shell (xx.x placeholders); reads no data")


def _add_args(a: argparse.ArgumentParser) -> None:
    a.add_argument("id", metavar="ID",
                   help="an output of `submission-kit list --available`: t-14-1-3, f-14-2-1, "
                        "fda-meeting-package (a number such as 14.1.3 when only one output "
                        "has it)")
    a.add_argument("--study", type=Path, default=None, metavar="PATH",
                   help="the study folder or study.toml to add to (default: study.toml in "
                        "the current folder; the bundled demo is never edited)")


def _export_args(e: argparse.ArgumentParser) -> None:
    e.add_argument("out", type=Path, metavar="OUT_DIR", help="a build folder (intact and current)")
    e.add_argument("dest", type=Path, metavar="DEST", help="a new or empty folder")
    e.add_argument("--ectd", action="store_true", required=True,
                   help="place the PDFs in eCTD module folders (m1/us, m1/eu, m5/53-...); the "
                        "eCTD XML backbone is not built")
    e.add_argument("--indication", default=None, metavar="SLUG",
                   help="the indication folder under m5/.../535-rep-effic-safety-stud "
                        "(default: the study id)")


def _demo_data_args(d: argparse.ArgumentParser) -> None:
    d.add_argument("dir", type=Path, metavar="DIR", help="folder for the datasets")
    d.add_argument("--subjects", type=int, default=220, metavar="N",
                   help="number of subjects (default: %(default)s)")
    d.add_argument("--seed", type=int, default=20170601, metavar="S",
                   help="random seed: the same seed gives the same data (default: %(default)s)")
    d.add_argument("--format", choices=("xpt", "csv", "parquet"), default="xpt",
                   help="file format (default: %(default)s)")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Arguments, or SystemExit(2) after a usage message. An unknown option gets a
    suggestion from the options of the command it was given to."""
    parser, commands = _parser()
    args, extra = parser.parse_known_args(argv)
    command = commands[args.command]
    options = [word for word in extra if word.startswith("-")]
    if options:
        word = options[0].split("=", 1)[0]
        command.error(f"unrecognized option {word}{did_you_mean(word, command.option_strings())}")
    if extra:
        command.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.quiet and args.verbose:
        command.error("--quiet and --verbose: choose one")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    _Parser.last_error = ""
    try:
        args = parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        code = exc.code if isinstance(exc.code, int) else 0
        words = list(sys.argv[1:] if argv is None else argv)
        if code == 2 and "--json" in words and _Parser.last_error:
            command = next((w for w in words if w in COMMANDS), "")
            print_json(error_document(command, UserError(_Parser.last_error)))
        return code
    reporter = Reporter(quiet=args.quiet, verbose=args.verbose)
    as_json = getattr(args, "json", False)
    try:
        with analysis_log(reporter):
            return int(COMMANDS[args.command](args, reporter) or 0)
    except UserError as exc:
        if args.debug:
            traceback.print_exc()
        if as_json:
            print_json(error_document(args.command, exc))
        reporter.error(str(exc))
        return 2
    except KeyboardInterrupt:
        reporter.err.print("interrupted")
        return 130
    except Exception as exc:  # a bug: say so plainly, keep the traceback for the report
        if as_json:
            print_json(error_document(args.command, exc))
        reporter.err.print("[bold red]internal error[/] (a bug in submission-kit; please "
                           "report it with the traceback below)")
        traceback.print_exc()
        return 1


def _study(args: argparse.Namespace) -> Study:
    """--study names a study.toml or the folder holding one; none: the bundled demo."""
    from submission_kit.study import load_study

    path: Path = args.study or DEMO_STUDY
    if path.is_dir():
        if not (path / "study.toml").is_file():
            raise UserError(f"{path}: folder has no study.toml (--study takes a study folder "
                            "or its study.toml)")
        path = path / "study.toml"
    return load_study(path)


def cmd_build(args: argparse.Namespace, reporter: Reporter) -> int:
    formats = tuple(f.strip() for f in args.format.split(",") if f.strip())
    if args.jobs < 1:
        raise UserError("--jobs must be at least 1")
    study = _study(args)
    start = time.perf_counter()
    if args.plan:
        return _print_plan(study, args.out, formats, reporter)
    if not args.only and not args.mock and _up_to_date(study, args.out, formats):
        reporter.status(Text(f"{args.out} is up to date", style="green") + Text(
            f": no input changed since it was built ({time.perf_counter() - start:.2f}s; "
            "`--plan` lists each output's inputs)"))
        return 0
    reporter.status(Text("Building ") + Text(study.id, style="bold") + Text(f" from {study.path}"))
    from submission_kit.build import BuildOptions, build  # the analysis stack: seconds to load

    options = BuildOptions(args.out, tuple(args.only), formats, args.jobs, args.executor,
                           mock=args.mock)
    with build_progress(reporter) as (progress, expect):
        report = build(study, options, progress, expect)
    if not args.no_check and not args.mock:
        _readiness(report.out_dir, reporter)
    reporter.status(f"Deliverables in {report.out_dir / DELIVERABLES}, records (manifest, "
                    f"results, models, traces) in {report.out_dir / RECORDS}")
    took = f" in {time.perf_counter() - start:.1f}s"
    current = len(report.nodes) - len(report.rebuilt) - len(report.stale)
    reporter.status(Text(f"Built {report.out_dir}", style="green") + Text(
        f"{took}: {len(report.rebuilt)} outputs rebuilt"
        + (f", {current} current (inputs unchanged, taken from the cache)" if current else "")))
    if report.changes:
        shown = 12
        reporter.status(f"Changed since the previous build ({len(report.changes)}):")
        for line in report.changes[:shown]:
            reporter.status(f"  {line}")
        if len(report.changes) > shown:
            reporter.status(f"  ... and {len(report.changes) - shown} more: keep a copy of the "
                            "previous output and run `submission-kit diff OLD NEW` for all")
    if report.stale:
        reporter.warn(f"{len(report.stale)} outputs are out of date and were kept as they were "
                      f"(--only): {', '.join(report.stale)}. The manifest marks them stale; "
                      "build without --only to bring them up to date.")
    return 0


def _readiness(out: Path, reporter: Reporter) -> None:
    """The submission-readiness check on what was just built: its errors as warnings (the
    build itself succeeded; `submission-kit check` exits 1 on them)."""
    from submission_kit.check import check_build

    report = check_build(out)
    if report.ok:
        reporter.status(Text("Readiness check: ready", style="green") + Text(
            f" ({', '.join(f'{n} {what}' for what, n in report.checked.items())})"))
        return
    for finding in report.errors[:10]:
        reporter.warn(f"{finding.rule}: {finding.artifact}: {finding.message}")
    more = len(report.errors) - 10
    reporter.warn(f"readiness check: {len(report.errors)} problems"
                  + (f" ({more} more not shown)" if more > 0 else "")
                  + f"; `submission-kit check {out}` lists them all")


def _up_to_date(study: Study, out: Path, formats: tuple[str, ...]) -> bool:
    """Every node current, every file as built, nothing foreign in the folder: then a build
    would write the same bytes, so it need not run. Checked without importing the analysis
    stack, under the output's lock so a build cannot swap the folder meanwhile."""
    from submission_kit.buildgraph import plan_against
    from submission_kit.publish import check_output_dir, output_lock, read_previous

    manifest = read_previous(out.resolve())
    if not manifest.get("nodes"):
        return False
    check_output_dir(study, out)
    with output_lock(out):
        return all(step.action == "current"
                   for step in plan_against(study, out.resolve(), manifest, formats))


def _print_plan(study: Study, out: Path, formats: tuple[str, ...], reporter: Reporter) -> int:
    from submission_kit.buildgraph import configured_nodes, plan_against
    from submission_kit.publish import read_previous

    manifest = read_previous(out.resolve())
    steps = (plan_against(study, out.resolve(), manifest, formats) if manifest.get("nodes")
             else [])
    if not steps:
        reporter.listing(f"{out}: no earlier build with a build graph; everything would be "
                         f"built ({len(configured_nodes(study))} outputs)")
        return 0
    todo = [s for s in steps if s.action != "current"]
    reporter.listing(f"{out}: {len(todo)} to do, {len(steps) - len(todo)} current")
    for step in steps:
        reporter.listing(f"  {step.action:8} {step.node}")
        for why in step.why:
            reporter.listing(f"             {why}")
    return 0


def cmd_validate(args: argparse.Namespace, reporter: Reporter) -> int:
    from submission_kit.build import compute, load_specs

    study = _study(args)
    # --verbose: the steps too, so each analysis log line follows the output it is about.
    computed = compute(study, reporter.status if reporter.verbose else lambda message: None)
    if args.json:
        rows = {name: len(frame) for name, frame in computed.data.frames.items()}
        print_json({**study_document("validate", study, load_specs(study), rows),
                    "verdict": "ok"})
        return 0
    for name in sorted(computed.data.frames):
        frame = computed.data.frames[name]
        reporter.answer(f"  {name.upper():8} {len(frame):>7} rows  {computed.data.paths[name]}")
    reporter.answer(Text("OK", style="green") + Text(
        f": {len(computed.tables)} tables, {len(computed.figures)} figures, "
        f"{len(computed.documents)} documents check out"))
    return 0


def cmd_list(args: argparse.Namespace, reporter: Reporter) -> int:
    from submission_kit.build import load_specs

    study = _study(args)
    if args.available:
        return _list_available(study, args.json, reporter)
    specs = load_specs(study)
    if args.json:
        print_json(study_document("list", study, specs, None))
        return 0
    reporter.listing(f"Study {study.id} ({study.path})")
    for config, spec in specs:
        reporter.listing(f"  {config.kind:8} {config.id:10} {output_title(config, spec)}  "
                         f"[{spec.name}.py]")
    for doc in study.documents:
        reporter.listing(f"  document {doc.id:30} {doc.title}  [{doc.template}; "
                         f"{', '.join(doc.formats)}]")
    return 0


def _list_available(study: Study, as_json: bool, reporter: Reporter) -> int:
    from submission_kit.catalogue import as_json as catalogue_json
    from submission_kit.catalogue import as_text, statuses
    from submission_kit.cli_output import JSON_SCHEMA

    found = statuses(study)
    if as_json:
        print_json(catalogue_json(found, study, JSON_SCHEMA))
        return 0
    for line in as_text(found, study):
        reporter.listing(line)
    return 0


def cmd_add(args: argparse.Namespace, reporter: Reporter) -> int:
    from submission_kit.catalogue import add, statuses
    from submission_kit.study import load_study

    entry, path = add(args.id, args.study)
    reporter.answer(f"Added {entry.header} ({entry.title}) to {path}")
    try:
        problems = statuses(load_study(path), [entry])[0].problems
    except UserError as exc:  # the study had a problem before; the block is written
        problems = (exc.message,)
    for problem in problems:
        reporter.warn(f"{entry.id} will not build until this is fixed: {problem}")
    reporter.answer(f"Edit the block to fit the study, then:\n"
                    f"  submission-kit validate --study {shlex.quote(str(path))}")
    return 0


def cmd_verify(args: argparse.Namespace, reporter: Reporter) -> int:
    from submission_kit.verify import verify

    verdict = verify(args.dir, args.study)
    if args.json:
        print_json(verdict.as_json())
        return 0 if verdict.ok else 1
    for label, paths in (("altered", verdict.altered), ("missing", verdict.missing),
                         ("not in the manifest", verdict.unlisted)):
        for path in paths:
            reporter.listing(f"  {label:20} {path}")
    for node, why in verdict.stale.items():
        reporter.listing(f"  {'stale':20} {node}: {'; '.join(why)}")
    if verdict.ok:
        reporter.answer(Text("OK", style="green") + Text(
            f": {verdict.outputs} files match {args.dir}/records/manifest.json and every recorded "
            "input is unchanged"))
        return 0
    reporter.answer(Text("NOT OK", style="bold red") + Text(
        f": {len(verdict.altered)} altered, {len(verdict.missing)} missing, "
        f"{len(verdict.unlisted)} unlisted, {len(verdict.stale)} stale"))
    return 1


def cmd_check(args: argparse.Namespace, reporter: Reporter) -> int:
    from submission_kit.check import check_build
    from submission_kit.cli_output import JSON_SCHEMA

    report = check_build(args.dir)
    if args.json:
        print_json({"schema": JSON_SCHEMA, "command": "check", **report.as_json()})
        return 0 if report.ok else 1
    for finding in report.findings:
        reporter.listing(f"  {finding.severity:8} {finding.rule:18} {finding.artifact}: "
                         f"{finding.message}")
    checked = ", ".join(f"{n} {what}" for what, n in report.checked.items())
    warned = f", {_count(len(report.warnings), 'warning')}" if report.warnings else ""
    where = f" ({checked} checked in {args.dir})"
    if not report.ok:
        reporter.answer(Text("NOT READY", style="bold red") + Text(
            f": {_count(len(report.errors), 'error')}{warned}{where}"))
        return 1
    if report.mock:
        reporter.answer(Text("MOCK BUILD", style="yellow") + Text(
            f": shells for review, not for submission; no rule fails{warned}{where}"))
        return 0
    reporter.answer(Text("READY", style="green") + Text(f": no rule fails{warned}{where}"))
    return 0


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def cmd_export(args: argparse.Namespace, reporter: Reporter) -> int:
    from submission_kit.export import export_ectd

    placed = export_ectd(args.out, args.dest, args.indication)
    for item in placed:
        reporter.listing(f"  {item.target}  <-  {item.source}")
    reporter.answer(Text(f"Exported {len(placed)} PDFs", style="green") + Text(
        f" into {args.dest} (checksums in SHA256SUMS, what went where in export-listing.txt)"))
    return 0


def cmd_init(args: argparse.Namespace, reporter: Reporter) -> int:
    from submission_kit.locations import BUNDLED

    target: Path = args.dir
    if target.exists() and any(target.iterdir()):
        raise UserError(f"{target}: folder exists and is not empty; choose a new folder")
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(DEMO_DIR / "data", target / "data")
    # Only the document templates: print.css is the house style the PDF writer always uses.
    shutil.copytree(BUNDLED / "templates", target / "templates",
                    ignore=shutil.ignore_patterns("*.css"))
    text = DEMO_STUDY.read_text(encoding="utf-8")
    text += ('\n[paths]\n# Templates here override the bundled ones of the same name.\n'
             'templates = "templates"\n')
    (target / "study.toml").write_text(text, encoding="utf-8")
    # Absolute paths: the commands must work when pasted in any folder.
    where = target.resolve()
    study, out = shlex.quote(str(where)), shlex.quote(str(where / "output"))
    reporter.answer(f"Wrote {where / 'study.toml'}, data/ and templates/. Next:\n"
                    f"  submission-kit validate --study {study}\n"
                    f"  submission-kit build --study {study} --out {out}")
    return 0


def cmd_demo_data(args: argparse.Namespace, reporter: Reporter) -> int:
    from submission_kit.data.demo import DATASET_LABELS, VARIABLE_LABELS, simulate_study
    from submission_kit.data.io import write_dataset

    if args.subjects < 2:
        raise UserError("--subjects must be at least 2")
    frames = simulate_study(subjects=args.subjects, seed=args.seed)
    for name, frame in frames.items():
        path = args.dir / f"{name}.{args.format}"
        write_dataset(frame, path, VARIABLE_LABELS.get(name, {}), DATASET_LABELS.get(name, ""))
        reporter.status(f"  {path} ({len(frame)} rows)")
    return 0


COMMANDS = {"build": cmd_build, "validate": cmd_validate, "list": cmd_list, "verify": cmd_verify,
            "check": cmd_check, "export": cmd_export, "init": cmd_init, "add": cmd_add,
            "demo-data": cmd_demo_data, "diff": run_diff}


if __name__ == "__main__":
    sys.exit(main())
