"""The `submission-kit` command. Exit codes: 0 ok, 1 a bug, 2 something the user can fix
(data, configuration, template), reported without a traceback unless --debug is given."""

from __future__ import annotations

import argparse
import shutil
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.text import Text

from submission_kit import __version__
from submission_kit.errors import UserError
from submission_kit.study import Study

DEMO_DIR = Path(__file__).resolve().parent / "demo"
DEMO_STUDY = DEMO_DIR / "study.toml"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="submission-kit",
        description="Build ICH E3 tables, figures and regulatory documents from ADaM data.")
    parser.add_argument("--version", action="version", version=f"submission-kit {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build tables, figures and documents into an output folder")
    _study_arg(b)
    b.add_argument("--out", type=Path, default=Path("output"), help="output folder (./output)")
    b.add_argument("--only", nargs="+", default=[], metavar="ID",
                   help="only (re)write these outputs: 14.1.3, t_14_1_3, fda-meeting-package")
    b.add_argument("--format", default="docx,pdf", help="docx, pdf or docx,pdf (default)")
    b.add_argument("--jobs", type=int, default=1, help="processes for rendering DOCX/PDF")
    b.add_argument("--mock", action="store_true",
                   help="write every table as a mock shell (xx.x placeholders); reads no data")

    v = sub.add_parser("validate", help="check configuration, data and templates; write nothing")
    _study_arg(v)
    ls = sub.add_parser("list", help="list the outputs and documents a study builds")
    _study_arg(ls)

    i = sub.add_parser("init", help="write an editable copy of the demo study into DIR")
    i.add_argument("dir", type=Path)

    d = sub.add_parser("demo-data", help="simulate the demo ADaM datasets into DIR")
    d.add_argument("dir", type=Path)
    d.add_argument("--subjects", type=int, default=220)
    d.add_argument("--seed", type=int, default=20170601)
    d.add_argument("--format", choices=("xpt", "csv", "parquet"), default="xpt")
    return parser


def _study_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--study", type=Path, default=None,
                        help="study.toml (default: the bundled demo study)")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        return int(COMMANDS[args.command](args, console) or 0)
    except UserError as exc:
        if args.debug:
            traceback.print_exc()
        # The message is plain text: a USUBJID like "[/x]" must print as it is, not as markup.
        console.print(Text("error: ", style="bold red") + Text(str(exc)), soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        console.print("interrupted")
        return 130
    except Exception:  # a bug: say so plainly, keep the traceback for the report
        console.print("[bold red]internal error[/] (a bug in submission-kit; please report it "
                      "with the traceback below)")
        traceback.print_exc()
        return 1


def _study(args: argparse.Namespace) -> Study:
    from submission_kit.study import load_study

    return load_study(args.study or DEMO_STUDY)


def cmd_build(args: argparse.Namespace, console: Console) -> int:
    from submission_kit.build import BuildOptions, build

    formats = tuple(f.strip() for f in args.format.split(",") if f.strip())
    if args.jobs < 1:
        raise UserError("--jobs must be at least 1")
    study = _study(args)
    start = time.perf_counter()

    def progress(message: str) -> None:
        console.print(Text(f"{time.perf_counter() - start:6.1f}s ", style="dim") + Text(message))

    console.print(Text("Building ") + Text(study.id, style="bold") + Text(f" from {study.path}"))
    report = build(study, BuildOptions(args.out, tuple(args.only), formats, args.jobs,
                                       mock=args.mock), progress)
    kept = f" ({len(report.kept)} kept from the previous build)" if report.kept else ""
    console.print(Text(f"Built {len(report.written)} files", style="green")
                  + Text(f" into {report.out_dir} in {time.perf_counter() - start:.1f}s{kept}"))
    return 0


def cmd_validate(args: argparse.Namespace, console: Console) -> int:
    from submission_kit.build import compute

    study = _study(args)
    computed = compute(study)
    for name in sorted(computed.data.frames):
        frame = computed.data.frames[name]
        console.print(f"  {name.upper():8} {len(frame):>7} rows  {computed.data.paths[name]}",
                      markup=False)
    console.print(Text("OK", style="green") + Text(
        f": {len(computed.tables)} tables, {len(computed.figures)} figures, "
        f"{len(computed.documents)} documents check out"))
    return 0


def cmd_list(args: argparse.Namespace, console: Console) -> int:
    from submission_kit.build import load_specs

    study = _study(args)
    out = Console(highlight=False, soft_wrap=True)
    out.print(f"Study {study.id} ({study.path})")
    for config, spec in load_specs(study):
        title = config.params.get("title", spec.title)
        out.print(f"  {config.kind:8} {config.id:10} {title}  [{spec.name}.py]", markup=False)
    for doc in study.documents:
        out.print(f"  document {doc.id:30} {doc.title}  [{doc.template}; "
                  f"{', '.join(doc.formats)}]", markup=False)
    return 0


def cmd_init(args: argparse.Namespace, console: Console) -> int:
    from submission_kit.tables.spec import BUNDLED

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
    console.print(f"Wrote {target}/study.toml, data/ and templates/. Build it with:\n"
                  f"  submission-kit build --study {target}/study.toml --out {target}/output",
                  markup=False)
    return 0


def cmd_demo_data(args: argparse.Namespace, console: Console) -> int:
    from submission_kit.data.demo import DATASET_LABELS, VARIABLE_LABELS, simulate_study
    from submission_kit.data.io import write_dataset

    if args.subjects < 2:
        raise UserError("--subjects must be at least 2")
    frames = simulate_study(subjects=args.subjects, seed=args.seed)
    for name, frame in frames.items():
        path = args.dir / f"{name}.{args.format}"
        write_dataset(frame, path, VARIABLE_LABELS.get(name, {}), DATASET_LABELS.get(name, ""))
        console.print(f"  {path} ({len(frame)} rows)", markup=False)
    return 0


COMMANDS = {"build": cmd_build, "validate": cmd_validate, "list": cmd_list, "init": cmd_init,
            "demo-data": cmd_demo_data}


if __name__ == "__main__":
    sys.exit(main())
