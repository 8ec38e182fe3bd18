"""Two builds -> the list of changes (pure: plain data in, `DiffReport` out).

Order: inputs (why the outputs moved), documents, tables, figures, then files whose bytes
changed although nothing they show did (pagination only). Ignore rules are applied last; the
ignored changes are kept aside so the report can say how many there were.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from submission_kit.diff.align import align_blocks, block_location, block_text
from submission_kit.diff.changes import CATEGORIES, SEP, Change, IgnoreRule, split_ignored
from submission_kit.diff.inputs import compare_inputs
from submission_kit.diff.load import Build, Pair
from submission_kit.diff.tables import (
    compare_lines,
    compare_tables,
    natural_key,
    results_index,
    table_artifact,
)
from submission_kit.diff.words import only_numbers, word_diff
from submission_kit.outputs import figure_image, parse
from submission_kit.tables.model import table_file_stem

Model = Mapping[str, Any]
# A table, figure or document that came or went: its DOCX/PDF files are not listed again.
_WHOLE = {f"{what}-{how}" for what in ("table", "figure", "document")
          for how in ("added", "removed")}


@dataclass(frozen=True, slots=True)
class Identity:
    """How the report names a build: folder, manifest hash, tool version, data cutoff."""

    folder: str
    manifest_sha256: str
    tool_version: str
    data_cutoff: str
    study: str

    @classmethod
    def of(cls, build: Build) -> Identity:
        return cls(str(build.root), build.manifest_sha256, build.tool_version,
                   build.data_cutoff, str(build.study.get("id", "")))


@dataclass(frozen=True, slots=True)
class DiffReport:
    old: Identity
    new: Identity
    changes: tuple[Change, ...]
    ignored: tuple[Change, ...] = ()
    notes: tuple[str, ...] = ()
    # Figure artifact -> (old PNG, new PNG) for every figure change, for side-by-side views.
    images: Mapping[str, tuple[bytes | None, bytes | None]] = field(default_factory=dict)
    # Documents that show a change (their own text, or a table or figure they hold).
    documents: tuple[str, ...] = ()

    def counts(self) -> dict[str, int]:
        return {c: sum(ch.category == c for ch in self.changes) for c in CATEGORIES}

    def exit_code(self, fail_on: Sequence[str] = ()) -> int:
        """0: nothing differs (or nothing in `fail_on`); 1: something does."""
        if fail_on:
            return int(any(c.category in fail_on for c in self.changes))
        return int(bool(self.changes))


def doc_artifact(doc_id: str) -> str:
    return f"Document {doc_id}"


def figure_artifact(figure_id: str) -> str:
    return f"Figure {figure_id}"


def compare(pair: Pair, rules: Iterable[IgnoreRule] = ()) -> DiffReport:
    old, new = pair.old, pair.new
    inputs, notes = compare_inputs(pair)
    shown = [*compare_documents(old, new),
             *compare_tables(old.tables, new.tables, results_index(old.results),
                             results_index(new.results)),
             *compare_figures(old, new)]
    whole = {c.artifact for c in shown if c.kind in _WHOLE}
    rendered = [c for c in rendered_changes(old, new, _affected(old, new, shown))
                if c.category == "pagination-only" or c.artifact not in whole]
    kept, ignored = split_ignored([*inputs, *shown, *rendered], rules)
    images = {c.artifact: (old.figures.get(c.artifact.removeprefix("Figure ")),
                           new.figures.get(c.artifact.removeprefix("Figure ")))
              for c in kept if c.artifact.startswith("Figure ") and
              c.category in ("figures", "structure")}
    documents = sorted(d for d in set(old.documents) & set(new.documents)
                       if doc_artifact(d) in _affected(old, new, kept))
    return DiffReport(Identity.of(old), Identity.of(new), kept, ignored,
                      (*old.notes, *new.notes, *notes), images, tuple(documents))


def _affected(old: Build, new: Build, changes: Iterable[Change]) -> set[str]:
    """Artifacts with a change, and the documents that hold a changed table or figure."""
    changed = {c.artifact for c in changes}
    for doc_id in set(old.documents) | set(new.documents):
        blocks = [*old.documents.get(doc_id, {}).get("blocks", []),
                  *new.documents.get(doc_id, {}).get("blocks", [])]
        held = {(table_artifact if b["kind"] == "table" else figure_artifact)(b.get("ref", ""))
                for b in blocks if b.get("kind") in ("table", "figure")}
        if held & changed:
            changed.add(doc_artifact(doc_id))
    return changed


# --- documents ---

def compare_documents(old: Build, new: Build) -> Iterator[Change]:
    for doc_id in sorted(set(old.documents) | set(new.documents)):
        artifact = doc_artifact(doc_id)
        if doc_id not in old.documents or doc_id not in new.documents:
            title = str((old.documents.get(doc_id) or new.documents[doc_id]).get("title", ""))
            yield Change("structure", "document-removed" if doc_id in old.documents
                         else "document-added", artifact, (),
                         title if doc_id in old.documents else "",
                         title if doc_id in new.documents else "")
            continue
        a, b = old.documents[doc_id], new.documents[doc_id]
        yield from _title_page(artifact, a, b)
        numbers = traced_numbers(old.traces.get(doc_id, {}), new.traces.get(doc_id, {}))
        yield from compare_blocks(artifact, a.get("blocks", []), b.get("blocks", []), numbers)


def _title_page(artifact: str, old: Model, new: Model) -> Iterator[Change]:
    for name in ("title", "subtitle"):
        a, b = str(old.get(name, "")), str(new.get(name, ""))
        if a != b:
            yield Change("titles-footnotes", "title", artifact, ("title page", name), a, b,
                         word_diff(a, b))
    yield from compare_lines(artifact, "title page line", old.get("title_lines", []),
                             new.get("title_lines", []))


def traced_numbers(old: Model, new: Model) -> list[tuple[str, str, str]]:
    """(results key, old text, new text) for every number in the narrative whose printed text
    changed: the k-th use of a key in the old trace against its k-th use in the new one."""
    def uses(trace: Model) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for entry in trace.get("numbers", []):
            out.setdefault(str(entry.get("ref", "")), []).append(str(entry.get("text", "")))
        return out

    a, b = uses(old), uses(new)
    return [(ref, x, y) for ref in b if ref in a
            for x, y in zip(a[ref], b[ref], strict=False) if x != y]


def compare_blocks(artifact: str, old: Sequence[Model], new: Sequence[Model],
                   numbers: Sequence[tuple[str, str, str]] = ()) -> Iterator[Change]:
    for step in align_blocks(old, new):
        if step.kind in ("same", "moved-from"):
            continue
        a = old[step.old] if step.old is not None else None
        b = new[step.new] if step.new is not None else None
        block = b if b is not None else a
        assert block is not None
        where = block_location(block)
        if step.kind in ("added", "removed"):
            yield Change("structure", f"{block.get('kind')}-{step.kind}", artifact, where,
                         block_text(a) if a else "", block_text(b) if b else "")
        elif step.kind == "moved-to":
            assert a is not None
            yield Change("structure", "moved", artifact, where, block_text(a), block_text(block),
                         detail="moved from " + SEP.join(block_location(a)))
        else:
            assert a is not None and b is not None
            yield _edited(artifact, where, a, b, numbers)


def _edited(artifact: str, where: tuple[str, ...], old: Model, new: Model,
            numbers: Sequence[tuple[str, str, str]]) -> Change:
    a, b = block_text(old), block_text(new)
    words = word_diff(a, b)
    kind = str(new.get("kind"))
    if kind in ("table", "figure"):
        return Change("titles-footnotes", "caption", artifact, where, a, b, words)
    if kind == "heading":
        return Change("text", "heading", artifact, where, a, b, words)
    deleted = {_core(t) for tag, text in words if tag == "delete" for t in text.split()}
    inserted = {_core(t) for tag, text in words if tag == "insert" for t in text.split()}
    refs = tuple(dict.fromkeys(ref for ref, x, y in numbers
                               if _core(x) in deleted and _core(y) in inserted))
    category = "numbers" if only_numbers(words) else "text"
    return Change(category, kind, artifact, where, a, b, words, refs)


def _core(text: str) -> str:
    """The number in a printed value: 'p = 0.041' -> '0.041', '(10.9%)' -> '10.9%'."""
    words = text.split()
    return words[-1].strip("()[]{},;:").rstrip(".") if words else ""


# --- figures ---

def compare_figures(old: Build, new: Build) -> Iterator[Change]:
    for figure_id in sorted(set(old.figures) | set(new.figures), key=natural_key):
        artifact = figure_artifact(figure_id)
        path = figure_image(f"f-{figure_id.replace('.', '-')}", "png")
        a, b = old.figures.get(figure_id), new.figures.get(figure_id)
        if a is None or b is None:
            yield Change("structure", "figure-removed" if b is None else "figure-added",
                         artifact, (path,), path if a else "", path if b else "")
            continue
        old_res, new_res = _figure_results(old, figure_id), _figure_results(new, figure_id)
        for name in ("title", "population"):
            x, y = str(old_res.get(name, "")), str(new_res.get(name, ""))
            if x != y:
                yield Change("titles-footnotes", name, artifact, (name,), x, y, word_diff(x, y))
        yield from compare_lines(artifact, "footnote", old_res.get("notes", []),
                                 new_res.get("notes", []))
        if a != b:
            yield Change("figures", "image", artifact, (path,), _digest(a), _digest(b),
                         detail=_record_changes(old_res, new_res))


def _figure_results(build: Build, figure_id: str) -> Model:
    return next((r for k, r in sorted(build.results.items())
                 if k.startswith("f_") and r.get("output") == figure_id), {})


def _digest(data: bytes) -> str:
    return f"PNG, {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()[:12]}"


def _record_changes(old: Model, new: Model, shown: int = 12) -> str:
    """The figure's own numbers that moved (numbers at risk, axis ends), for the detail."""
    a = {r["key"]: r.get("value") for r in old.get("records", [])}
    b = {r["key"]: r.get("value") for r in new.get("records", [])}
    moved = [f"{k}: {a.get(k)!r} → {b.get(k)!r}" for k in [*a, *(k for k in b if k not in a)]
             if a.get(k) != b.get(k)]
    more = f"; {len(moved) - shown} more" if len(moved) > shown else ""
    return "; ".join(moved[:shown]) + more


# --- rendered files ---

def rendered_changes(old: Build, new: Build, affected: set[str]) -> Iterator[Change]:
    """DOCX/PDF files whose bytes differ while everything they show is unchanged (page
    breaks, fonts, a library upgrade): pagination only. Files that appear or disappear (another
    --format) are structure."""
    stems = {table_file_stem(t): t for t in (*old.tables, *new.tables)}
    # By kind, stem and format, so a build from before deliverables/ and records/ were
    # apart compares with one after.
    old_files, new_files = _rendered(old), _rendered(new)
    for key in sorted(set(old_files) | set(new_files)):
        path = new_files[key][0] if key in new_files else old_files[key][0]
        artifact = _artifact_of(path, stems)
        a = old_files[key][1] if key in old_files else None
        b = new_files[key][1] if key in new_files else None
        if a is None or b is None:
            yield Change("structure", "file-removed" if b is None else "file-added", artifact,
                         (path,), path if a else "", path if b else "")
        elif a != b and artifact not in affected:
            yield Change("pagination-only", "rendering", artifact, (path,),
                         f"sha256 {a[:12]}", f"sha256 {b[:12]}",
                         detail="the words, numbers and images are unchanged; the file's "
                                "layout or pages differ")


def _rendered(build: Build) -> dict[tuple[str, str, str], tuple[str, str]]:
    """(kind, stem, format) -> (path, sha256) of each DOCX and PDF the build lists."""
    return {(w.kind, w.stem, w.ext): (path, sha) for path, sha in build.outputs.items()
            if (w := parse(path)).deliverable}


def _artifact_of(path: str, stems: Mapping[str, str]) -> str:
    folder, stem = parse(path).kind, parse(path).stem
    if folder == "documents":
        return doc_artifact(stem)
    if folder == "tables" and stem in stems:
        return table_artifact(stems[stem])
    if folder == "figures":
        return figure_artifact(stem.removeprefix("f-").replace("-", "."))
    return path
