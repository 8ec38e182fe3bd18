"""Template + context -> `Document`. Jinja renders Markdown; markdown.py turns it into blocks.

The environment is sandboxed and strict: an unknown name, a missing result or a table that
was not built stops the build with the template file and line. Templates are looked up in
the study's own template folders first, then in the bundled library; a template or include
that links out of those folders is refused (ContainedLoader).
"""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jinja2
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment

from submission_kit.analysis.ard import AnalysisResults
from submission_kit.documents.markdown import parse_markdown
from submission_kit.documents.model import Document, FigureRef, TableRef, TitlePage
from submission_kit.documents.results_view import (
    TraceEntry,
    Tracer,
    authored_view,
    finalize_value,
    make_filters,
    results_view,
    template_position,
)
from submission_kit.errors import UserError
from submission_kit.figures.model import FigureModel
from submission_kit.locations import study_reference_docx, template_dirs
from submission_kit.study import DocumentConfig, Study
from submission_kit.tables.model import TableModel


@dataclass(frozen=True, slots=True)
class RenderedDocument:
    document: Document
    trace: tuple[TraceEntry, ...]
    templates: tuple[Path, ...] = ()  # every template file read (the document's own inputs)
    analyses: frozenset[str] = frozenset()  # analyses whose results the templates read
    # Parts of study.toml the templates read besides the settings and the document's own
    # block: "study:tables.14.2.1" (table_params), "study:regulatory.fda" (build inputs).
    config: frozenset[str] = frozenset()


class ContainedLoader(jinja2.BaseLoader):
    """FileSystemLoader, except that a template whose real path (symlinks resolved) lies outside
    every template folder is refused, for the main template and every include alike.

    The folders are resolved too: the bundled folder is itself a symlink
    (submission_kit/bundled/templates -> ../../templates), and a study may keep its templates
    behind one.
    """

    def __init__(self, folders: Sequence[Path]) -> None:
        self.folders = [Path(f) for f in folders]
        self.roots = [f.resolve() for f in self.folders]
        self.loaded: list[Path] = []  # as found (not resolved): the build records them

    def get_source(self, environment: jinja2.Environment, template: str
                   ) -> tuple[str, str, Callable[[], bool]]:
        pieces = split_template_path(template)  # refuses '..' segments
        found = next(((f, f.joinpath(*pieces)) for f in self.folders
                      if f.joinpath(*pieces).is_file()), None)
        if found is None:
            raise jinja2.TemplateNotFound(template)
        folder, path = found
        real = path.resolve()
        if not any(real.is_relative_to(root) for root in self.roots):
            raise UserError(f"template {template!r} in {folder} resolves to {real}, outside the "
                            "template folders; copy it into a template folder instead of "
                            "linking to it")
        mtime = real.stat().st_mtime
        self.loaded.append(path)
        return real.read_text(encoding="utf-8"), str(path), lambda: _mtime(real) == mtime


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def long_date(day: dt.date) -> str:
    """'30 September 2021': day-month-year reads the same in the US and the EU."""
    return f"{day.day} {day:%B %Y}"


def render_document(study: Study, config: DocumentConfig,
                    results: Mapping[str, AnalysisResults],
                    tables: Mapping[str, TableModel],
                    figures: Mapping[str, FigureModel]) -> RenderedDocument:
    tracer = Tracer()
    env = _environment(study, tracer, tables, figures)
    used: set[str] = set()
    config_read: set[str] = set()
    try:
        template = env.get_template(config.template)
        text = template.render(_context(study, config, results, used, config_read))
    except jinja2.TemplateNotFound as exc:
        folders = ", ".join(str(d) for d in template_dirs(study))
        raise UserError(f"{study.path}: [documents.{config.id}] template {exc.name!r} not "
                        f"found in {folders}") from None
    except jinja2.TemplateSyntaxError as exc:
        shown = _template_name(exc.filename, template_dirs(study)) if exc.filename else exc.name
        raise UserError(f"template {shown} line {exc.lineno}: {exc.message}") from None
    except (jinja2.UndefinedError, jinja2.sandbox.SecurityError) as exc:
        raise UserError(f"{_template_line(exc, config.template, template_dirs(study))}: "
                        f"{exc}") from None
    blocks = parse_markdown(text, config.template)
    used_tables = {b.table_id: tables[b.table_id] for b in blocks if isinstance(b, TableRef)}
    used_figures = {b.figure_id: figures[b.figure_id] for b in blocks
                    if isinstance(b, FigureRef)}
    document = Document(
        id=config.id,
        title_page=_title_page(study, config),
        blocks=blocks,
        tables=used_tables,
        figures=used_figures,
        running_header=running_header(study, config.title),
        running_footer=f"{study.identity.sponsor} — {config.id} v{_version(study, config)}",
        author=study.identity.sponsor,
        subject=f"{study.identity.product}: {study.identity.indication}",
        keywords=f"{study.id}; {study.identity.protocol}; {config.id}",
        date_iso=(config.date or study.data_cutoff).isoformat(),
        # EMA documents on A4, FDA ones on Letter, whatever the study's default.
        style=(replace(study.style, page=replace(study.style.page, paper=config.paper))
               if config.paper else study.style),
        reference_docx=study_reference_docx(study),
        output_captions=config.captions == "output",
    )
    loader = env.loader
    read = tuple(dict.fromkeys(loader.loaded)) if isinstance(loader, ContainedLoader) else ()
    return RenderedDocument(document, tuple(tracer.entries), read, frozenset(used),
                            frozenset(config_read))


def running_header(study: Study, title: str = "") -> str:
    """'MIROCALS-SIM — Type B Meeting Package — Synthetic data — for demonstration only'."""
    parts = [study.id, *([title] if title and title != study.id else [])]
    if study.identity.synthetic:
        parts.append(study.identity.marking)
    return " — ".join(parts)


def _template_line(exc: Exception, default: str, folders: Sequence[Path]) -> str:
    """Jinja rewrites tracebacks so template frames carry the template file and line."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith((".j2", ".jinja", ".md")):
            return f"template {_template_name(frame.filename, folders)} line {frame.lineno}"
    return f"template {default}"


def _template_name(filename: str, folders: Sequence[Path]) -> str:
    """A template file as the loader names it ('fda-meeting-package/09-questions.md.j2'): a
    bare file name would not tell one document's section from another's."""
    path = Path(filename)
    for folder in folders:
        if path.is_relative_to(folder):
            return path.relative_to(folder).as_posix()
    return path.name


def _environment(study: Study, tracer: Tracer, tables: Mapping[str, TableModel],
                 figures: Mapping[str, FigureModel]) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        loader=ContainedLoader(template_dirs(study)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # the output is Markdown, escaped later by each writer
        keep_trailing_newline=True,
        finalize=finalize_value(tracer),
    )
    env.filters.update(make_filters(tracer, study.rounding))
    env.globals.update(
        table=lambda table_id: _directive("table", str(table_id), tables),
        figure=lambda figure_id: _directive("figure", str(figure_id), figures),
    )
    return env


def _directive(kind: str, output_id: str, built: Mapping[str, Any]) -> str:
    if output_id not in built:
        template, line = template_position()
        known = ", ".join(sorted(built)) or "none"
        raise UserError(f"template {template} line {line}: {kind} {output_id!r} is not built "
                        f"by this study (built: {known}); add [{kind}s.\"{output_id}\"] to "
                        "study.toml")
    return f"\n```{{{kind}}} {output_id}\n```\n"


def _context(study: Study, config: DocumentConfig, results: Mapping[str, AnalysisResults],
             used: set[str], config_read: set[str]) -> dict[str, Any]:
    ident = study.identity
    return {
        "study": {
            "id": ident.id, "title": ident.title, "sponsor": ident.sponsor,
            "product": ident.product, "inn": ident.inn, "indication": ident.indication,
            "protocol": ident.protocol, "phase": ident.phase, "nct": ident.nct,
            "eudract": ident.eudract, "version": ident.version, "synthetic": ident.synthetic,
            "data_cutoff": long_date(study.data_cutoff),
            "arms": [{"key": a.key, "label": a.label, "value": a.value}
                     for a in study.treatment.arms],
            "populations": {k: p.label for k, p in study.populations.items()},
        },
        "document": {"id": config.id, "title": config.title, "subtitle": config.subtitle,
                     "version": _version(study, config),
                     "date": long_date(config.date or study.data_cutoff)},
        "regulatory": ConfigParts(authored_view(study.regulatory, "regulatory"), "regulatory",
                                  config_read),
        "results": results_view(results, used),
        # Parameters of each configured output, e.g. table_params["14.2.1"].timepoint_label
        "table_params": ConfigParts({o.id: o.params for o in study.outputs
                                     if o.kind == "table"}, "tables", config_read),
        "figure_params": ConfigParts({o.id: o.params for o in study.outputs
                                      if o.kind == "figure"}, "figures", config_read),
    }


class ConfigParts(Mapping[str, Any]):
    """A part of study.toml as the templates see it ([regulatory], the outputs' parameters),
    noting each entry they read, so that a document is rebuilt when, and only when, a block
    it read changes. Asking for a missing entry counts too: adding it changes the text."""

    def __init__(self, items: Mapping[str, Any], section: str, read: set[str]) -> None:
        self._items, self._section, self._read = items, section, read

    def __getitem__(self, key: str) -> Any:
        self._read.add(f"study:{self._section}.{key}")
        return self._items[key]

    def __iter__(self) -> Iterator[str]:  # a template that lists them all reads them all
        self._read.update(f"study:{self._section}.{key}" for key in self._items)
        return iter(self._items)

    def __len__(self) -> int:
        self._read.add(f"study:{self._section}")  # how many there are: the whole section
        return len(self._items)


def _version(study: Study, config: DocumentConfig) -> str:
    return config.version or study.identity.version


def _title_page(study: Study, config: DocumentConfig) -> TitlePage:
    ident = study.identity
    lines = [
        f"Product: {ident.product}" + (f" ({ident.inn})" if ident.inn else ""),
        f"Proposed indication: {ident.indication}",
        f"Sponsor: {ident.sponsor}",
        f"Protocol: {ident.protocol}" + (f" (Phase {ident.phase})" if ident.phase else ""),
    ]
    ids = [x for x in (ident.nct and f"ClinicalTrials.gov {ident.nct}",
                       ident.eudract and f"EudraCT {ident.eudract}") if x]
    if ids:
        lines.append("Registry: " + "; ".join(ids))
    lines.append(f"Version: {_version(study, config)}")
    if config.date:
        lines.append(f"Date: {long_date(config.date)}")
    lines.append(f"Data cutoff: {long_date(study.data_cutoff)}")
    return TitlePage(
        title=config.title,
        subtitle=config.subtitle or ident.title,
        lines=tuple(lines),
        banner=ident.marking,
    )
