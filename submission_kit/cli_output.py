"""What the `submission-kit` command prints, and where.

stdout carries what a command answers (a listing, a verdict, next commands, JSON); stderr
carries progress, the analysis log and errors, so `submission-kit list --json > out.json`
and pipes stay clean. `--quiet` keeps errors and the output a command exists for (`list`,
`--json`); `--verbose` adds the analysis log. Messages are printed as plain text, never as
console markup: a USUBJID like "[/x]" must print as it is. Colour follows rich, which honours
NO_COLOR.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from submission_kit.errors import UserError
from submission_kit.locations import spec_dirs
from submission_kit.study import OutputConfig, Study

if TYPE_CHECKING:
    from submission_kit.tables.spec import OutputSpec

JSON_SCHEMA = 1  # bumped when a key of the --json documents changes meaning or goes away


def _stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _stdout() -> Console:
    return Console(highlight=False, soft_wrap=True)


@dataclass
class Reporter:
    """The two streams and the verbosity the user asked for."""

    quiet: bool = False
    verbose: bool = False
    err: Console = field(default_factory=_stderr)
    out: Console = field(default_factory=_stdout)

    def status(self, message: str | Text) -> None:
        """Progress and summaries (stderr); silent with --quiet."""
        if not self.quiet:
            self.err.print(message, markup=False)

    def answer(self, message: str | Text) -> None:
        """A command's verdict or next steps (stdout); silent with --quiet."""
        if not self.quiet:
            self.out.print(message, markup=False)

    def listing(self, message: str | Text) -> None:
        """What the command exists to print (stdout), even with --quiet."""
        self.out.print(message, markup=False)

    def warn(self, message: str) -> None:
        """Something the user must know even with --quiet (stderr)."""
        self.err.print(Text("warning: ", style="bold yellow") + Text(message))

    def error(self, message: str) -> None:
        self.err.print(Text("error: ", style="bold red") + Text(message))


def print_json(document: Mapping[str, Any]) -> None:
    """Raw to stdout: rich would wrap long lines and colour the text."""
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


# --- JSON documents (list --json, validate --json) -----------------------------------------

def study_document(command: str, study: Study,
                   specs: Sequence[tuple[OutputConfig, OutputSpec[Any]]],
                   rows: Mapping[str, int] | None) -> dict[str, Any]:
    """The study as scripts see it. `rows` is None for `list`, which reads no data."""
    return {
        "schema": JSON_SCHEMA,
        "command": command,
        "study": {"id": study.id, "file": str(study.path)},
        "datasets": [{"name": s.name, "path": str(s.path),
                      "rows": None if rows is None else rows.get(s.name)}
                     for s in study.datasets],
        "outputs": [{"id": config.id, "kind": config.kind, "title": output_title(config, spec),
                     "spec": spec.name, "spec_file": str(spec_file(study, config))}
                    for config, spec in specs],
        "documents": [{"id": d.id, "title": d.title, "template": d.template,
                       "formats": list(d.formats)} for d in study.documents],
    }


def error_document(command: str, exc: BaseException) -> dict[str, Any]:
    """What a --json command prints on stdout when it fails (exit 2, or 1 for a bug)."""
    if isinstance(exc, UserError):
        error = {"kind": "user", "message": exc.message, "details": list(exc.details)}
    else:
        error = {"kind": "internal", "message": f"internal error (a bug): {exc!r}",
                 "details": []}
    document: dict[str, Any] = {"schema": JSON_SCHEMA, "command": command}
    if command == "validate":
        document["verdict"] = "error"
    document["error"] = error
    return document


def output_title(config: OutputConfig, spec: OutputSpec[Any]) -> str:
    return str(config.params.get("title") or spec.title)


def spec_file(study: Study, config: OutputConfig) -> Path:
    """The file `load_spec` ran for this output: the same search (the study's spec folders,
    then the bundled library; `<spec>.py`, else the one `<spec>_*.py`)."""
    for folder in spec_dirs(study, config.kind):
        exact = folder / f"{config.spec}.py"
        found = [exact] if exact.is_file() else sorted(folder.glob(f"{config.spec}_*.py"))
        if found:
            return found[0]
    raise AssertionError(f"{config.where}: spec {config.spec!r} was loaded but is not found")


# --- build progress ------------------------------------------------------------------------

class StepBar:
    """A progress bar over the build's steps: each message starts a step and ends the one
    before. The total grows as the build learns it (`expect`), so the estimate firms up once
    the files to render are known."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.task: TaskID = bar.add_task("Loading specs", total=None)
        self.steps = 0
        self.total = 0

    def expect(self, steps: int) -> None:
        self.total += steps
        self.bar.update(self.task, total=self.total)

    def step(self, message: str) -> None:
        self.bar.update(self.task, description=message, completed=self.steps)
        self.steps += 1


@contextmanager
def build_progress(reporter: Reporter) -> Iterator[tuple[Callable[[str], None],
                                                          Callable[[int], None]]]:
    """(progress, expect) callbacks for `build`: a bar when a person watches stderr, one line
    per step otherwise (CI, pipes, tests; TTY_INTERACTIVE=0 forces it), nothing with --quiet."""
    if reporter.quiet:
        yield (lambda message: None), (lambda steps: None)
    elif reporter.err.is_interactive:
        columns = (SpinnerColumn(), TextColumn("{task.description}", markup=False),
                   BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TextColumn("eta"), TimeRemainingColumn())
        with Progress(*columns, console=reporter.err, transient=True) as bar:
            steps = StepBar(bar)
            yield steps.step, steps.expect
    else:
        start = time.perf_counter()

        def line(message: str) -> None:
            elapsed = Text(f"{time.perf_counter() - start:6.1f}s ", style="dim")
            reporter.err.print(elapsed + Text(message))

        yield line, (lambda steps: None)


# --- the analysis log ----------------------------------------------------------------------

class _ConsoleLog(logging.Handler):
    """Log records as plain lines on the console (above a progress bar, if one is shown)."""

    def __init__(self, console: Console) -> None:
        super().__init__(logging.INFO)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        try:
            where = record.name.removeprefix("submission_kit.")
            style = "yellow" if record.levelno >= logging.WARNING else "dim"
            self.console.print(Text(f"{where}: ", style=style) + Text(record.getMessage()))
        except Exception:  # a broken stream must not turn a log line into a failed build
            self.handleError(record)


@contextmanager
def analysis_log(reporter: Reporter) -> Iterator[None]:
    """--verbose: the package's log (the analysis modules say why a statistic is not
    estimable) on stderr. Otherwise silence it: the tables already carry those reasons as
    footnotes, and Python would print unhandled warnings bare on stderr."""
    logger = logging.getLogger("submission_kit")
    handler = _ConsoleLog(reporter.err) if reporter.verbose else logging.NullHandler()
    level = logger.level
    logger.addHandler(handler)
    if reporter.verbose:
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
