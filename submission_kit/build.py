"""build: study -> output/. The only stage that touches the file system (besides reading data).

Everything is computed in memory first; `publish` writes the files to a staging folder next to
the output and swaps it in with renames at the end, so a failed build (bad data, a template
error) leaves the previous output exactly as it was. What a build may replace, and the lock
that keeps two builds apart, are in `submission_kit.publish`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from submission_kit.analysis.ard import AnalysisResults
from submission_kit.buildgraph import read_records
from submission_kit.data.contracts import DatasetNeed
from submission_kit.data.load import StudyData, load_study_data
from submission_kit.documents.model import Document, FigureRef, TableRef, TitlePage, part_key
from submission_kit.documents.render import RenderedDocument, render_document, running_header
from submission_kit.errors import UserError
from submission_kit.executors import check_executor, open_executor, steps
from submission_kit.figures.model import FigureModel, figure_file_stem
from submission_kit.locations import study_reference_docx, template_dirs
from submission_kit.outputs import (
    manifest_path,
    table_file,
    table_model_file,
)
from submission_kit.publish import check_output_dir, output_lock, publish, read_previous
from submission_kit.study import ROOT_TEMPLATE, DocumentConfig, OutputConfig, Study
from submission_kit.tables.model import TableModel, table_file_stem
from submission_kit.tables.model import as_json as table_json
from submission_kit.tables.spec import OutputSpec, load_spec

Progress = Callable[[str], None]
FORMATS = ("docx", "pdf")


@dataclass(frozen=True, slots=True)
class BuildOptions:
    out_dir: Path
    only: tuple[str, ...] = ()  # output ids ("14.1.3"), file stems ("t-14-1-3") or doc ids
    formats: tuple[str, ...] = FORMATS
    jobs: int = 1
    executor: str = "local"  # or "dask://HOST:PORT": where DOCX/PDF rendering runs
    mock: bool = False  # tables as shells with placeholders; no data read


@dataclass(frozen=True, slots=True)
class Computed:
    """Everything a build computes before rendering files."""

    data: StudyData
    results: Mapping[str, AnalysisResults]
    tables: Mapping[str, TableModel]
    figures: Mapping[str, FigureModel]
    documents: Mapping[str, RenderedDocument]


@dataclass(frozen=True, slots=True)
class BuildReport:
    out_dir: Path
    written: tuple[str, ...]  # output-relative paths the output holds now
    nodes: tuple[str, ...] = ()  # the build graph's nodes: tables, figures, documents, ARD
    rebuilt: tuple[str, ...] = ()  # nodes built this time; the others came from the cache
    stale: tuple[str, ...] = ()  # nodes --only left out of date (marked so in the manifest)
    changes: tuple[str, ...] = ()  # what moved since the previous build (diff's summaries)


def load_specs(study: Study) -> list[tuple[OutputConfig, OutputSpec[Any]]]:
    """Every configured output's program, its parameters checked (strictly) against it."""
    return [(config, load_spec(config, study)) for config in study.outputs]


def declared_needs(study: Study, specs: Iterable[tuple[OutputConfig, OutputSpec[Any]]]
                   ) -> list[DatasetNeed]:
    out = []
    for config, spec in specs:
        ctx = spec.context(config, study, {})
        out += [replace(n, declared_by=(f"{config.kind} {config.id}",)) for n in spec.needs(ctx)]
    return out


def analyse(study: Study, specs: Iterable[tuple[OutputConfig, OutputSpec[Any]]],
            data: StudyData, progress: Progress) -> dict[str, AnalysisResults]:
    """Stage 1: every analysis, once, from the data (pure functions, no layout)."""
    results: dict[str, AnalysisResults] = {}
    for config, spec in specs:
        if spec.analyse is not None:
            progress(f"Analysing {config.kind} {config.id}")
            ctx = spec.context(config, study, data.sha256)
            results[ctx.analysis_id] = spec.analyse(data.frames, ctx)
    return results


def lay_out(study: Study, specs: Iterable[tuple[OutputConfig, OutputSpec[Any]]],
            results: Mapping[str, AnalysisResults] | None
            ) -> tuple[dict[str, TableModel], dict[str, FigureModel]]:
    """Stage 2: table and figure models from results only (None: mock shells of the
    tables; figures need results to be drawn)."""
    tables: dict[str, TableModel] = {}
    figures: dict[str, FigureModel] = {}
    for config, spec in specs:
        if results is None and config.kind != "table":
            continue
        ctx = spec.context(config, study, {})
        own = None if results is None else results.get(ctx.analysis_id)
        model = spec.layout(ctx.shown(own, results or {}), ctx)
        (tables if config.kind == "table" else figures)[config.id] = model
    return tables, figures


def needed_specs(study: Study, specs: list[tuple[OutputConfig, OutputSpec[Any]]],
                 only: tuple[str, ...]) -> list[tuple[OutputConfig, OutputSpec[Any]]]:
    """With `--only` naming tables or figures alone, those outputs and the analyses their
    layouts read (a figure reads its table); a document, or no `--only`, needs everything."""
    if not only or any(doc.id in only for doc in study.documents):
        return specs
    contexts = [spec.context(config, study, {}) for config, spec in specs]
    wanted = {ctx.analysis_id for ctx in contexts
              if {ctx.id, _file_stem(ctx.config), ctx.analysis_id} & set(only)}
    for ctx, (_, spec) in zip(contexts, specs, strict=True):
        if ctx.analysis_id in wanted:
            wanted |= set(spec.reads(ctx))
    return [pair for ctx, pair in zip(contexts, specs, strict=True)
            if ctx.analysis_id in wanted]


def _file_stem(config: OutputConfig) -> str:
    return (table_file_stem if config.kind == "table" else figure_file_stem)(config.id)


def compute(study: Study, progress: Progress = lambda message: None,
            expect: Callable[[int], None] = lambda steps: None,
            only: tuple[str, ...] = ()) -> Computed:
    """Load and check data, run the analyses, lay out the tables and figures and render the
    document models that `only` needs (everything when empty); no files. `expect(n)`: n more
    `progress` messages will come (for a progress bar's total)."""
    specs = needed_specs(study, load_specs(study), only)
    documents_needed = [d for d in study.documents
                        if not only or any(doc.id in only for doc in study.documents)]
    expect(1 + sum(spec.analyse is not None for _, spec in specs) + len(documents_needed))
    progress("Checking data")
    data = load_study_data(study, declared_needs(study, specs))
    results = analyse(study, specs, data, progress)
    tables, figures = lay_out(study, specs, results)
    documents = {}
    for doc in documents_needed:
        progress(f"Assembling document {doc.id}")
        documents[doc.id] = render_document(study, doc, results, tables, figures)
    return Computed(data, results, tables, figures, documents)


def compute_mock(study: Study) -> Computed:
    """Every table as a shell: the layouts run without results, so no data are read."""
    tables, figures = lay_out(study, load_specs(study), None)
    return Computed(StudyData({}, {}, {}), {}, tables, figures, {})


MOCK_BANNER = "Mock shell — layout only, no data"


def tlf_document(study: Study, model: TableModel | FigureModel, mock: bool = False) -> Document:
    """A table or figure on its own, as a TLF file: no title page, same header and footer."""
    block = TableRef(model.id) if isinstance(model, TableModel) else FigureRef(model.id)
    kind = "table" if isinstance(model, TableModel) else "figure"
    return Document(
        id=(table_file_stem if kind == "table" else figure_file_stem)(model.id),
        title_page=TitlePage(title=""),
        blocks=(block,),
        tables={model.id: model} if isinstance(model, TableModel) else {},
        figures={model.id: model} if isinstance(model, FigureModel) else {},
        running_header=running_header(study, study.identity.protocol)
        + (f" — {MOCK_BANNER}" if mock else ""),
        running_footer=f"{study.identity.sponsor} — {model.title[0]}",
        author=study.identity.sponsor,
        subject=model.caption,
        keywords=f"{study.id}; {model.title[0]}",
        date_iso=study.data_cutoff.isoformat(),
        style=study.style,
        reference_docx=study_reference_docx(study),
    )


def document_job(study: Study, config: DocumentConfig, document: Document, fmt: str
                 ) -> tuple[str, Document]:
    """What renders a document's file in `fmt`. An assembled book's PDF takes its outputs'
    stand-alone TLF documents along, and any other document's PDF those of its long tables
    (listings), on the document's own paper (writers/pdf_assembled.py)."""
    from submission_kit.writers.tlf_layout import drawn_as_its_pages

    if fmt != "pdf":
        return fmt, document
    if config.assemble:
        parts = {part_key("table", m.id): tlf_document(study, m)
                 for m in document.tables.values()}
        parts |= {part_key("figure", m.id): tlf_document(study, m)
                  for m in document.figures.values()}
    else:
        parts = {part_key("table", m.id): replace(tlf_document(study, m), style=document.style)
                 for m in document.tables.values() if drawn_as_its_pages(m, document.style)}
    return fmt, (replace(document, parts=parts) if parts else document)


def _render(kind: str, document: Document) -> bytes:
    """One DOCX or PDF file (runs in a worker process when --jobs > 1)."""
    if kind == "docx":
        from submission_kit.writers.docx import as_docx

        return as_docx(document)
    from submission_kit.writers.pdf import as_pdf

    return as_pdf(document)


def _selected(options: BuildOptions, *names: str) -> bool:
    return not options.only or any(name in options.only for name in names)


def plan_mock_files(study: Study, computed: Computed, options: BuildOptions
                    ) -> tuple[dict[str, bytes], dict[str, tuple[str, Document]]]:
    """A mock build's files (every table as a shell; no results, figures or documents): (the
    table models, the DOCX/PDF to render), by output-relative path. Real builds plan their
    files node by node (incremental.py)."""
    ready: dict[str, bytes] = {}
    render: dict[str, tuple[str, Document]] = {}
    for table_id, table in computed.tables.items():
        stem = table_file_stem(table_id)
        if _selected(options, table_id, stem):
            ready[table_model_file(stem)] = table_json(table).encode()
            for fmt in options.formats:
                render[table_file(stem, fmt)] = (fmt, tlf_document(study, table, options.mock))
    return ready, render


def render_files(render: Mapping[str, tuple[str, Document]], pool: Executor | None,
                 progress: Progress) -> dict[str, bytes]:
    """DOCX/PDF bytes for each path: here, or on the executor's workers (--jobs, --executor)."""
    paths = sorted(render)
    if pool is None or len(paths) <= 1:
        out = {}
        for path in paths:
            progress(f"Writing {path}")
            out[path] = _render(*render[path])
        return out
    progress(f"Writing {len(paths)} files in parallel")
    rendered = pool.map(_render, *zip(*(render[p] for p in paths), strict=True))
    return dict(zip(paths, rendered, strict=True))


def build(study: Study, options: BuildOptions, progress: Progress = lambda message: None,
          expect: Callable[[int], None] = lambda steps: None) -> BuildReport:
    """Rebuild what changed since the previous build in `options.out_dir` (the rest comes
    from its cache, proven current by its inputs' hashes) and publish the whole folder."""
    from submission_kit.cache import Cache
    from submission_kit.incremental import Outcome, build_nodes

    bad = [f for f in options.formats if f not in FORMATS]
    if bad:
        raise UserError(f"--format {bad[0]!r}: use docx, pdf or docx,pdf")
    check_output_dir(study, options.out_dir)  # refuse before minutes of analysis, not after
    out = options.out_dir.resolve()
    check_executor(options.executor)
    with output_lock(options.out_dir), open_executor(options.executor, options.jobs) as pool:
        options = replace(options, only=resolve_only(study, options.only))
        if options.mock:  # shells: nothing cached, no data, no node records
            computed = compute_mock(study)
            ready, render = plan_mock_files(study, computed, options)
            expect(steps(len(render), pool) + 1)
            outcome = Outcome({**ready, **render_files(render, pool, progress)},
                              formats=options.formats)
            cache = Cache(None)
        else:
            previous = read_records(read_previous(out))
            cache = Cache(out / ".cache" if previous else None)
            outcome = build_nodes(study, options, cache, previous, out, pool, progress,
                                  expect)
        before = _previous_build(out) if outcome.rebuilt and not options.mock else None
        progress("Publishing output")
        publish(study, outcome, cache, options)
        changes = changes_since(before, out) if before is not None else ()
    return BuildReport(options.out_dir, tuple(sorted(outcome.files)),
                       tuple(sorted(outcome.records)), tuple(sorted(outcome.rebuilt)),
                       tuple(sorted(outcome.stale)), changes)


def _previous_build(out: Path) -> Any:
    """The output being replaced, read before the swap (None: a first build, or a folder
    diff cannot read)."""
    from submission_kit.diff.load import load_build

    if not manifest_path(out).is_file():
        return None
    try:
        return load_build(out)
    except Exception:  # an edited or damaged old file: the build goes on, without a digest
        return None


def changes_since(before: Any, out: Path) -> tuple[str, ...]:
    """What moved since the previous build, one line each, as `submission-kit diff` reports
    it: inputs first, then numbers, text, titles, structure and figures; pagination-only
    changes are left to the full diff."""
    from submission_kit.diff.compare import compare
    from submission_kit.diff.load import Pair, load_build

    try:
        report = compare(Pair(before, load_build(out)))
    except Exception as exc:  # the digest is a courtesy: it must never fail a finished build
        return (f"(no summary of changes: {exc}; `submission-kit diff` compares two folders)",)
    return tuple(c.summary(140) for c in report.changes if c.category != "pagination-only")


def resolve_only(study: Study, only: tuple[str, ...]) -> tuple[str, ...]:
    """The --only ids, checked; a document section ('fda-meeting-package/09-questions')
    stands for its document: a DOCX or PDF is one file, so a section is rebuilt with it."""
    documents = {d.id for d in study.documents}
    known = set(documents)
    for config in study.outputs:
        known |= {config.id, _file_stem(config),
                  f"{config.kind[0]}_{config.id.replace('.', '_')}"}
    resolved = []
    for name in only:
        doc_id, _, section = name.partition("/")
        if section and doc_id in documents:  # a table id with a slash is just unknown
            _check_section(study, doc_id, section.removesuffix(".md.j2"))
            name = doc_id
        if name not in known:
            raise UserError(f"--only {name!r}: not an output of {study.path.name} "
                            f"(try `submission-kit list`)")
        resolved.append(name)
    return tuple(dict.fromkeys(resolved))


def _check_section(study: Study, doc_id: str, section: str) -> None:
    doc = next(d for d in study.documents if d.id == doc_id)
    folder = Path(doc.template).parent
    found = sorted({p.name.removesuffix(".md.j2") for d in template_dirs(study)
                    for p in (d / folder).glob("*.md.j2")
                    if folder != Path(".") and p.name != ROOT_TEMPLATE})
    if section not in found:
        raise UserError(f"--only {doc_id}/{section}: {doc_id} has no section {section!r} "
                        f"(its sections: {', '.join(found) or 'none, it is one template'})")

