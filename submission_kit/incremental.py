"""The build, node by node: each table, figure, document and the ARD is rebuilt only when an
input it recorded has changed; otherwise its results, model and files come from the cache.

A table or figure node is one output's analysis, layout and files. Its inputs are known before
it runs (`static_inputs`: code, environment, options, stylesheet, study settings, its own
study.toml block, its spec file, the datasets its spec declares, and the same for every
analysis its layout reads). A document's inputs are recorded as it renders: the templates it
loaded, the study.toml, and the inputs of every table and figure it placed and every analysis
its text read. `buildgraph` explains the input names; `cache` stores what nodes made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from submission_kit.analysis.ard import AnalysisResults, as_ard_csv, as_ard_json
from submission_kit.analysis_tasks import analysis_task, run_analyses
from submission_kit.build import (
    BuildOptions,
    Progress,
    declared_needs,
    document_job,
    load_specs,
    needed_specs,
    render_files,
    tlf_document,
)
from submission_kit.buildgraph import (
    ARD_NODE,
    STYLESHEET,
    Inputs,
    NodeRecord,
    base_inputs,
    document_node,
    file_label,
    output_node,
    reference_input,
    sha256_bytes,
)
from submission_kit.cache import Cache
from submission_kit.data.load import StudyData, load_study_data
from submission_kit.documents.render import RenderedDocument, render_document
from submission_kit.documents.results_view import as_trace_json
from submission_kit.documents.structure import as_document_json
from submission_kit.executors import steps
from submission_kit.figures.model import FigureModel, figure_file_stem
from submission_kit.locations import find_spec_file
from submission_kit.outputs import (
    ARD_CSV,
    document_file,
    document_model_file,
    figure_file,
    figure_image,
    results_file,
    table_file,
    table_model_file,
    trace_file,
)
from submission_kit.study import OutputConfig, Study
from submission_kit.tables.model import TableModel, table_file_stem
from submission_kit.tables.model import as_json as table_json
from submission_kit.tables.spec import OutputContext, OutputSpec

Spec = tuple[OutputConfig, OutputSpec[Any]]
Model = TableModel | FigureModel


@dataclass
class Outcome:
    """What the build made or proved current, for `publish` and the manifest."""

    files: dict[str, bytes] = field(default_factory=dict)
    records: dict[str, NodeRecord] = field(default_factory=dict)
    stale: dict[str, tuple[str, ...]] = field(default_factory=dict)  # --only left these
    rebuilt: list[str] = field(default_factory=list)  # nodes built this time
    data: StudyData | None = None  # None when every analysis came from the cache
    formats: tuple[str, ...] = ("docx", "pdf")


@dataclass
class _Node:
    config: OutputConfig
    spec: OutputSpec[Any]
    ctx: OutputContext
    inputs: dict[str, str]
    hit: Any = None  # CachedNode


class _LazyResults(Mapping[str, AnalysisResults]):
    """Every analysis's results: computed this build, or unpickled from the cache on first
    use (a document that reads two analyses does not load twenty)."""

    def __init__(self, cache: Cache, cached: Mapping[str, str]) -> None:
        self.cache, self.cached = cache, dict(cached)  # analysis id -> blob sha
        self.computed: dict[str, AnalysisResults] = {}

    def __getitem__(self, key: str) -> AnalysisResults:
        if key not in self.computed:
            self.computed[key] = self.cache.object(self.cached[key])  # KeyError: not built
        return self.computed[key]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted({*self.cached, *self.computed}))

    def __len__(self) -> int:
        return len({*self.cached, *self.computed})


def static_inputs(study: Study, node: tuple[OutputConfig, OutputSpec[Any], OutputContext],
                  by_analysis: Mapping[str, tuple[OutputConfig, OutputSpec[Any], OutputContext]]
                  ) -> list[str]:
    """The inputs a table or figure node depends on, before it runs."""
    config, spec, ctx = node
    ids = base_inputs(study, config.kind, config.id)
    for other in [node, *(by_analysis[a] for a in spec.reads(ctx) if a in by_analysis)]:
        o_config, o_spec, o_ctx = other
        ids += [f"study:{o_config.kind}s.{o_config.id}",
                "file:" + file_label(find_spec_file(o_config, study), study)]
        ids += [f"data:{need.dataset}" for need in o_spec.needs(o_ctx)]
    return ids


def build_nodes(study: Study, options: BuildOptions, cache: Cache,
                previous: Mapping[str, NodeRecord], out_dir: Path, pool: Executor | None,
                progress: Progress, expect: Callable[[int], None]) -> Outcome:
    now = Inputs(study)
    everything = load_specs(study)
    needed = {id(pair) for pair in needed_specs(study, everything, options.only)}
    contexts = [(c, s, s.context(c, study, {})) for c, s in everything]
    by_analysis = {ctx.analysis_id: (c, s, ctx) for c, s, ctx in contexts}
    nodes = {}
    for (config, spec, ctx), pair in zip(contexts, everything, strict=True):
        if id(pair) in needed:
            ids = static_inputs(study, (config, spec, ctx), by_analysis)
            node = _Node(config, spec, ctx, now.values(ids))
            node.hit = cache.find(output_node(config.kind, config.id), now, options.formats)
            if node.hit is not None and set(node.hit.record.inputs) != set(node.inputs):
                node.hit = None  # the node's inputs are not what they were
            nodes[output_node(config.kind, config.id)] = node
    outcome = Outcome(formats=options.formats)
    results = _LazyResults(cache, {n.ctx.analysis_id: n.hit.objects["results"]
                                   for n in nodes.values()
                                   if n.hit is not None and "results" in n.hit.objects})
    _analyse(study, nodes, results, now, previous, outcome, pool, progress, expect)
    models = _lay_out(nodes, results, cache)
    pending = [*_documents(study, options, nodes, results, models, cache, now, outcome,
                           progress, expect),
               *_output_files(study, nodes, results, models, cache, options, outcome)]
    jobs = sum(len(p.render) for p in pending)
    expect(steps(jobs, pool) + 1)  # + "Publishing output"
    _render_pending(pending, pool, cache, outcome, progress)
    if not options.only:
        _ard(nodes, results, cache, outcome)
    _carry_over(study, options, cache, previous, now, out_dir, outcome)
    return outcome


def _analyse(study: Study, nodes: Mapping[str, _Node], results: _LazyResults, now: Inputs,
             previous: Mapping[str, NodeRecord], outcome: Outcome, pool: Executor | None,
             progress: Progress, expect: Callable[[int], None]) -> None:
    """Run the analyses of the nodes the cache could not supply, on the executor's workers
    (they are independent of one another). Data are loaded (every declared dataset, checked)
    when one must run, or when a dataset changed that no output reads yet: the contract says
    every declared dataset is checked."""
    misses = [n for n in nodes.values() if n.hit is None and n.spec.analyse is not None]
    expect(1 + steps(len(misses), pool))
    recorded = {i: h for r in previous.values() for i, h in r.inputs.items()
                if i.startswith("data:")}
    unchecked = [d.name for d in study.datasets if recorded.get(f"data:{d.name}")
                 != now.value(f"data:{d.name}")]
    if not misses and not unchecked:
        return
    progress("Checking data")
    specs = [(n.config, n.spec) for n in nodes.values()]
    data = outcome.data = load_study_data(study, declared_needs(study, specs))
    tasks = [analysis_task(find_spec_file(n.config, study), n.config, n.spec, study,
                           data.frames, data.sha256) for n in misses]
    computed = run_analyses(tasks, pool, progress)
    for node, result in zip(misses, computed, strict=True):
        results.computed[node.ctx.analysis_id] = result


def _lay_out(nodes: Mapping[str, _Node], results: _LazyResults, cache: Cache
             ) -> dict[str, Model]:
    models: dict[str, Model] = {}
    for name, node in nodes.items():
        if node.hit is not None and "model" in node.hit.objects:
            models[name] = cache.object(node.hit.objects["model"])
            continue
        aid = node.ctx.analysis_id
        own = results.get(aid)
        models[name] = node.spec.layout(node.ctx.shown(own, results), node.ctx)
    return models


@dataclass
class _Pending:
    """A node to rebuild: its inputs, the files ready now, the DOCX/PDF still to render."""

    name: str
    inputs: dict[str, str]
    ready: dict[str, bytes]
    render: dict[str, Any]  # path -> (format, Document)
    objects: dict[str, Any] = field(default_factory=dict)  # cached with it: results, model


def _output_files(study: Study, nodes: Mapping[str, _Node], results: _LazyResults,
                  models: Mapping[str, Model], cache: Cache, options: BuildOptions,
                  outcome: Outcome) -> list[_Pending]:
    pending = []
    for name, node in nodes.items():
        if node.hit is not None:
            _reuse(name, node.hit.record, cache, _keep(options), outcome)
            continue
        ready, render = _node_files(study, node, results, models[name], options)
        objects: dict[str, Any] = {"model": models[name]}
        if node.ctx.analysis_id in results.computed:
            objects["results"] = results.computed[node.ctx.analysis_id]
        pending.append(_Pending(name, node.inputs, ready, render, objects))
    return pending


def _render_pending(pending: list[_Pending], pool: Executor | None, cache: Cache,
                    outcome: Outcome, progress: Progress) -> None:
    """Every file still to render, in one batch (documents first: the longest jobs), so the
    workers stay busy across nodes; then each node's files are recorded and cached."""
    jobs = {path: job for p in pending for path, job in p.render.items()}
    rendered = render_files(jobs, pool, progress)
    for p in pending:
        files = {**p.ready, **{path: rendered[path] for path in p.render}}
        cache.add(p.name, p.inputs, files, p.objects)
        outcome.files.update(files)
        outcome.records[p.name] = NodeRecord(p.inputs, _hashes(files))
        outcome.rebuilt.append(p.name)


def _node_files(study: Study, node: _Node, results: _LazyResults, model: Model,
                options: BuildOptions) -> tuple[dict[str, bytes], dict[str, Any]]:
    ready: dict[str, bytes] = {}
    render: dict[str, Any] = {}
    aid = node.ctx.analysis_id
    if aid in results.computed:
        ready[results_file(aid)] = as_ard_json(results.computed[aid]).encode()
    if isinstance(model, TableModel):
        stem = table_file_stem(model.id)
        ready[table_model_file(stem)] = table_json(model).encode()
        deliverable = table_file
    else:
        stem = figure_file_stem(model.id)
        ready[figure_image(stem, "svg")] = model.svg
        ready[figure_image(stem, "png")] = model.png
        deliverable = figure_file
    for fmt in options.formats:
        render[deliverable(stem, fmt)] = (fmt, tlf_document(study, model))
    return ready, render


def _documents(study: Study, options: BuildOptions, nodes: Mapping[str, _Node],
               results: _LazyResults, models: Mapping[str, Model], cache: Cache, now: Inputs,
               outcome: Outcome, progress: Progress, expect: Callable[[int], None]
               ) -> list[_Pending]:
    wanted = [d for d in study.documents if not options.only or d.id in options.only]
    tables = {m.id: m for m in models.values() if isinstance(m, TableModel)}
    figures = {m.id: m for m in models.values() if isinstance(m, FigureModel)}
    by_analysis = {n.ctx.analysis_id: n for n in nodes.values()}
    pending = []
    for doc in wanted:
        name = document_node(doc.id)
        hit = cache.find(name, now, [f for f in options.formats if f in doc.formats])
        if hit is not None:
            _reuse(name, hit.record, cache, _keep(options), outcome)
            continue
        expect(1)
        progress(f"Assembling document {doc.id}")
        rendered = render_document(study, doc, results, tables, figures)
        inputs = now.values(_document_inputs(study, rendered, nodes, by_analysis))
        files = {
            trace_file(doc.id): as_trace_json(rendered.document, rendered.trace,
                                              results).encode(),
            document_model_file(doc.id): as_document_json(rendered.document).encode(),
        }
        jobs = {document_file(doc.id, fmt): document_job(study, doc, rendered.document, fmt)
                for fmt in doc.formats if fmt in options.formats}
        pending.append(_Pending(name, inputs, files, jobs))
    return pending


def _document_inputs(study: Study, rendered: RenderedDocument,
                     nodes: Mapping[str, _Node], by_analysis: Mapping[str, _Node]) -> list[str]:
    ids = ["code", "env", STYLESHEET, reference_input(study), "study:settings",
           f"study:documents.{rendered.document.id}", *rendered.config]
    ids += ["file:" + file_label(path, study) for path in rendered.templates]
    placed = [output_node("table", t) for t in rendered.document.tables]
    placed += [output_node("figure", f) for f in rendered.document.figures]
    used = [by_analysis[a] for a in rendered.analyses if a in by_analysis]
    for node in [*(nodes[p] for p in placed if p in nodes), *used]:
        ids += list(node.inputs)
    return ids


def _ard(nodes: Mapping[str, _Node], results: _LazyResults, cache: Cache,
         outcome: Outcome) -> None:
    """records/results/ard.csv: every analysis; current when every analysis node is."""
    if not results:
        return
    inputs = {i: h for n in nodes.values() for i, h in n.inputs.items()}
    hit = next((e for e in cache.records(ARD_NODE)
                if e.get("inputs") == inputs and all(cache.has(s)
                                                     for s in e.get("files", {}).values())),
               None)
    if hit is not None:
        outcome.files.update({p: cache.blob(s) for p, s in hit["files"].items()})
        outcome.records[ARD_NODE] = NodeRecord(inputs, dict(hit["files"]))
        return
    files = {ARD_CSV: as_ard_csv(results[k] for k in sorted(results)).encode()}
    cache.add(ARD_NODE, inputs, files)
    outcome.files.update(files)
    outcome.records[ARD_NODE] = NodeRecord(inputs, _hashes(files))
    outcome.rebuilt.append(ARD_NODE)


def _carry_over(study: Study, options: BuildOptions, cache: Cache,
                previous: Mapping[str, NodeRecord], now: Inputs, out_dir: Path,
                outcome: Outcome) -> None:
    """With --only, every other node of the previous build: reused when the cache proves it
    current, otherwise kept as it was and marked stale (with the inputs that changed), so the
    manifest never vouches for an out-of-date file."""
    if not options.only:
        return
    _keep_other_formats(options, previous, out_dir, now, outcome)
    configured = {output_node(c.kind, c.id) for c in study.outputs}
    configured |= {document_node(d.id) for d in study.documents} | {ARD_NODE}
    for name, record in previous.items():
        if name in outcome.records or name not in configured:
            continue
        hit = cache.find(name, now)
        if hit is not None and set(record.files) <= set(hit.record.files):
            outcome.files.update({p: cache.blob(s) for p, s in hit.record.files.items()})
            outcome.records[name] = hit.record
            continue
        files = {p: (out_dir / p).read_bytes() for p in record.files if (out_dir / p).is_file()}
        outcome.files.update(files)
        outcome.records[name] = record
        why = record.reasons(now)
        outcome.stale[name] = (*why, *(s for s in record.stale if s not in why))


def _keep_other_formats(options: BuildOptions, previous: Mapping[str, NodeRecord],
                        out_dir: Path, now: Inputs, outcome: Outcome) -> None:
    """--only with --format docx: a rebuilt node keeps its PDF from the previous build (the
    user asked for one format, not for the other to vanish), marked stale: it was made from
    the inputs that have since changed."""
    for name in outcome.rebuilt:
        before, record = previous.get(name), outcome.records[name]
        if before is None:
            continue
        kept = {p: s for p, s in before.files.items()
                if p.endswith((".docx", ".pdf")) and p not in record.files
                and (out_dir / p).is_file()}
        if not kept:
            continue
        outcome.files.update({p: (out_dir / p).read_bytes() for p in kept})
        outcome.records[name] = NodeRecord(record.inputs, {**record.files, **kept})
        asked = ",".join(options.formats)
        outcome.stale[name] = (*(f"{p} not rebuilt (--format {asked})" for p in sorted(kept)),
                               *before.reasons(now))


def _keep(options: BuildOptions) -> tuple[str, ...]:
    return () if options.only else options.formats


def _reuse(name: str, record: NodeRecord, cache: Cache, formats: tuple[str, ...],
           outcome: Outcome) -> None:
    """A current node's files from the cache: in the formats asked for (a record made with
    docx,pdf serves a --format pdf build too), or all of them for --only (formats=())."""
    files = {p: s for p, s in record.files.items() if not formats
             or not p.endswith((".docx", ".pdf")) or p.rsplit(".", 1)[-1] in formats}
    outcome.files.update({p: cache.blob(s) for p, s in files.items()})
    outcome.records[name] = NodeRecord(record.inputs, files)


def _hashes(files: Mapping[str, bytes]) -> dict[str, str]:
    return {p: sha256_bytes(c) for p, c in sorted(files.items())}


def as_nodes_json(outcome: Outcome) -> dict[str, Any]:
    nodes = {}
    for name, record in sorted(outcome.records.items()):
        entry = record.as_json()
        if name in outcome.stale:
            entry["stale"] = list(outcome.stale[name]) or ["inputs unknown"]
        nodes[name] = entry
    return nodes
