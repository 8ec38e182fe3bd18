"""build: study -> output/. The only stage that touches the file system (besides reading data).

Everything is computed in memory first; files are written to a staging folder next to the
output and swapped in with renames at the end, so a failed build (bad data, a template error)
leaves the previous output exactly as it was.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from submission_kit.analysis.ard import AnalysisResults, as_ard_json
from submission_kit.data.contracts import DatasetNeed
from submission_kit.data.load import StudyData, load_study_data
from submission_kit.documents.model import Document, FigureRef, TableRef, TitlePage
from submission_kit.documents.render import RenderedDocument, render_document, running_header
from submission_kit.documents.results_view import as_trace_json
from submission_kit.errors import UserError
from submission_kit.figures.model import FigureModel, figure_file_stem
from submission_kit.manifest import as_manifest_json
from submission_kit.study import OutputConfig, Study
from submission_kit.tables.model import TableModel, table_file_stem
from submission_kit.tables.model import as_json as table_json
from submission_kit.tables.spec import OutputContext, OutputSpec, load_spec

Progress = Callable[[str], None]
FORMATS = ("docx", "pdf")


@dataclass(frozen=True, slots=True)
class BuildOptions:
    out_dir: Path
    only: tuple[str, ...] = ()  # output ids ("14.1.3"), file stems ("t_14_1_3") or doc ids
    formats: tuple[str, ...] = FORMATS
    jobs: int = 1


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
    written: tuple[str, ...]  # output-relative paths produced by this build
    kept: tuple[str, ...] = ()  # carried over from the previous output (--only)


def load_specs(study: Study) -> list[tuple[OutputConfig, OutputSpec[Any]]]:
    return [(config, load_spec(config, study)) for config in study.outputs]


def declared_needs(study: Study, specs: Iterable[tuple[OutputConfig, OutputSpec[Any]]]
                   ) -> list[DatasetNeed]:
    out = []
    for config, spec in specs:
        ctx = OutputContext(config, study, {})
        out += [replace(n, declared_by=(f"{config.kind} {config.id}",)) for n in spec.needs(ctx)]
    return out


def compute(study: Study, progress: Progress = lambda message: None) -> Computed:
    """Load and check data, run every analysis, render every document model (no files)."""
    specs = load_specs(study)
    progress("Checking data")
    data = load_study_data(study, declared_needs(study, specs))
    results: dict[str, AnalysisResults] = {}
    tables: dict[str, TableModel] = {}
    figures: dict[str, FigureModel] = {}
    for config, spec in specs:
        progress(f"Analysing {config.kind} {config.id}")
        ctx = OutputContext(config, study, data.sha256)
        result, model = spec.run(data.frames, ctx)
        results[ctx.analysis_id] = result
        (tables if config.kind == "table" else figures)[config.id] = model
    documents = {}
    for doc in study.documents:
        progress(f"Assembling document {doc.id}")
        documents[doc.id] = render_document(study, doc, results, tables, figures)
    return Computed(data, results, tables, figures, documents)


def tlf_document(study: Study, model: TableModel | FigureModel) -> Document:
    """A table or figure on its own, as a TLF file: no title page, same header and footer."""
    block = TableRef(model.id) if isinstance(model, TableModel) else FigureRef(model.id)
    kind = "table" if isinstance(model, TableModel) else "figure"
    return Document(
        id=(table_file_stem if kind == "table" else figure_file_stem)(model.id),
        title_page=TitlePage(title=""),
        blocks=(block,),
        tables={model.id: model} if isinstance(model, TableModel) else {},
        figures={model.id: model} if isinstance(model, FigureModel) else {},
        running_header=running_header(study, study.identity.protocol),
        running_footer=f"{study.identity.sponsor} — {model.title[0]}",
        author=study.identity.sponsor,
        subject=model.caption,
        keywords=f"{study.id}; {model.title[0]}",
        date_iso=study.data_cutoff.isoformat(),
        style=study.style,
    )


def _render(kind: str, document: Document) -> bytes:
    """One DOCX or PDF file (runs in a worker process when --jobs > 1)."""
    if kind == "docx":
        from submission_kit.writers.docx import as_docx

        return as_docx(document)
    from submission_kit.writers.pdf import as_pdf

    return as_pdf(document)


def _selected(options: BuildOptions, *names: str) -> bool:
    return not options.only or any(name in options.only for name in names)


def plan_files(study: Study, computed: Computed, options: BuildOptions
               ) -> tuple[dict[str, bytes], dict[str, tuple[str, Document]]]:
    """(files ready now, files to render): output-relative path -> bytes / (format, doc)."""
    ready: dict[str, bytes] = {}
    render: dict[str, tuple[str, Document]] = {}
    for analysis_id, result in computed.results.items():
        if _selected(options, result.output_id, analysis_id):
            ready[f"results/{analysis_id}.json"] = as_ard_json(result).encode()
    for table_id, table in computed.tables.items():
        stem = table_file_stem(table_id)
        if _selected(options, table_id, stem):
            ready[f"tables/{stem}.json"] = table_json(table).encode()
            for fmt in options.formats:
                render[f"tables/{stem}.{fmt}"] = (fmt, tlf_document(study, table))
    for figure_id, figure in computed.figures.items():
        stem = figure_file_stem(figure_id)
        if _selected(options, figure_id, stem):
            ready[f"figures/{stem}.svg"] = figure.svg
            ready[f"figures/{stem}.png"] = figure.png
    for doc in study.documents:
        if _selected(options, doc.id):
            rendered = computed.documents[doc.id]
            ready[f"trace/{doc.id}.json"] = as_trace_json(
                rendered.document.id, rendered.trace, computed.results).encode()
            for fmt in doc.formats:
                if fmt in options.formats:
                    render[f"documents/{doc.id}.{fmt}"] = (fmt, rendered.document)
    return ready, render


def render_files(render: Mapping[str, tuple[str, Document]], jobs: int,
                 progress: Progress) -> dict[str, bytes]:
    paths = sorted(render)
    if jobs <= 1 or len(paths) <= 1:
        out = {}
        for path in paths:
            progress(f"Writing {path}")
            out[path] = _render(*render[path])
        return out
    progress(f"Writing {len(paths)} files with {jobs} processes")
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        rendered = pool.map(_render, *zip(*(render[p] for p in paths), strict=True))
        return dict(zip(paths, rendered, strict=True))


def build(study: Study, options: BuildOptions, progress: Progress = lambda message: None
          ) -> BuildReport:
    bad = [f for f in options.formats if f not in FORMATS]
    if bad:
        raise UserError(f"--format {bad[0]!r}: use docx, pdf or docx,pdf")
    computed = compute(study, progress)
    _check_only(study, computed, options)
    ready, render = plan_files(study, computed, options)
    files = {**ready, **render_files(render, options.jobs, progress)}
    progress("Publishing output")
    kept = publish(study, computed.data, files, options)
    return BuildReport(options.out_dir, tuple(sorted(files)), kept)


def _check_only(study: Study, computed: Computed, options: BuildOptions) -> None:
    known = {*computed.tables, *computed.figures, *computed.results, *computed.documents,
             *(table_file_stem(t) for t in computed.tables),
             *(figure_file_stem(f) for f in computed.figures)}
    unknown = [x for x in options.only if x not in known]
    if unknown:
        raise UserError(f"--only {unknown[0]!r}: not an output of {study.path.name} "
                        f"(try `submission-kit list`)")


def publish(study: Study, data: StudyData, files: Mapping[str, bytes], options: BuildOptions
            ) -> tuple[str, ...]:
    """Write to a staging folder, then swap it in with renames. With --only, the previous
    output's other files are carried over so the folder stays complete."""
    out = options.out_dir.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.staging-{os.getpid()}"
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    kept: list[str] = []
    try:
        if options.only and out.is_dir():
            shutil.copytree(out, staging)
            kept = [p for p in _relative_files(staging) if p not in files and
                    p != "manifest.json"]
        for rel, content in files.items():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        everything = {rel: (staging / rel).read_bytes() for rel in _relative_files(staging)
                      if rel != "manifest.json"}
        (staging / "manifest.json").write_text(as_manifest_json(study, data, everything),
                                               encoding="utf-8")
        if out.exists():
            out.rename(old)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if old.exists() and not out.exists():
            old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return tuple(sorted(kept))


def _relative_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())

