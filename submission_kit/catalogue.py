"""The catalogue: every table, figure and document the tool ships, what each needs, whether a
study has it, and `add`, which appends an output's example block to a study.toml.

An output's example block is the `study.toml:` block of its spec's docstring (a document's: of
its template's leading comment). That one text documents the output and is what `add` writes,
so the two cannot drift apart; tests/test_catalogue.py checks that every block parses, names
its own output and validates against the demo study.

Pure functions over text and plain data (`example_block`, `resolve`, `append_block`,
`check_output`, `check_document`, `as_text`, `as_json`) and thin I/O around them
(`load_catalogue`, `read_columns`, `statuses`, `add`). Whether a study has an output's data
is decided from column names alone (the parquet schema, the xpt/sas7bdat metadata, the CSV
header), so the whole catalogue is checked without reading a row.
"""

from __future__ import annotations

import ast
import csv
import difflib
import gzip
import os
import re
import textwrap
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from submission_kit.errors import UserError
from submission_kit.locations import BUNDLED
from submission_kit.study import ROOT_TEMPLATE, OutputConfig, Study

GROUPS = {"table": "tables", "figure": "figures", "document": "documents"}
_BLOCK_START = re.compile(r"^\s+\[(tables|figures|documents)\.")
_PACKAGE = Path(__file__).resolve().parent
Columns = Callable[[Path], frozenset[str]]


@dataclass(frozen=True, slots=True)
class Entry:
    """One output the tool can build."""

    id: str  # "t-14-1-3", "f-14-2-1", "fda-meeting-package"
    kind: str  # "table" | "figure" | "document"
    key: str  # its study.toml key: "14.1.3", "fda-meeting-package"
    title: str
    source: Path  # the spec or template file
    example: str  # the study.toml block, comments kept; "" when the source has none

    @property
    def header(self) -> str:
        """'[tables."14.1.3"]' / '[documents.fda-meeting-package]'."""
        key = self.key if self.kind == "document" else f'"{self.key}"'
        return f"[{GROUPS[self.kind]}.{key}]"

    @property
    def source_name(self) -> str:
        return f"{self.source.parent.name}/{self.source.name}"


@dataclass(frozen=True, slots=True)
class DatasetCheck:
    name: str  # "adsl"
    variables: tuple[str, ...]  # what the output needs from it
    path: Path | None  # None: not in [data.datasets]
    missing: tuple[str, ...] = ()  # needed variables the file does not have
    problem: str = ""  # not declared, no file, unreadable


@dataclass(frozen=True, slots=True)
class Status:
    """An entry against one study."""

    entry: Entry
    datasets: tuple[DatasetCheck, ...]
    requires: tuple[str, ...]  # other outputs it draws ("table 14.2.2"), [regulatory] keys
    configured: tuple[str, ...]  # study.toml keys of the outputs this spec/template builds
    problems: tuple[str, ...]

    @property
    def has_data(self) -> bool:
        return not self.problems


# --- example blocks and ids (pure) -----------------------------------------------------------

def example_block(text: str) -> str:
    """The indented block under 'study.toml' in a docstring or template comment, dedented:
    from its `[tables."..."]` line to the first blank or less indented line."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("study.toml")),
                 None)
    if start is None:
        return ""
    first = next((i for i in range(start, len(lines)) if _BLOCK_START.match(lines[i])), None)
    if first is None:
        return ""
    indent = len(lines[first]) - len(lines[first].lstrip())
    block = []
    for line in lines[first:]:
        if not line.strip() or len(line) - len(line.lstrip()) < indent:
            break
        block.append(line[indent:].rstrip())
    return "\n".join(block) + "\n"


def parse_example(example: str) -> tuple[str, str, dict[str, Any]]:
    """(kind, key, parameters) of an example block; ValueError unless it configures one
    output (a document's may also carry the [regulatory.*] facts its template reads)."""
    data = tomllib.loads(example)
    groups = [(group, items) for group, items in data.items() if group in GROUPS.values()]
    extra = set(data) - {g for g, _ in groups}
    if (len(groups) != 1 or len(groups[0][1]) != 1
            or extra - ({"regulatory"} if groups[0][0] == "documents" else set())):
        raise ValueError("an example block configures exactly one output")
    group, items = groups[0]
    kind = next(k for k, g in GROUPS.items() if g == group)
    key, params = next(iter(items.items()))
    return kind, key, params


def output_id(kind: str, key: str) -> str:
    """'14.1.3' -> 't-14-1-3' (the deliverable's file name, as `build --only` takes it)."""
    return key if kind == "document" else f"{kind[0]}-{key.replace('.', '-')}"


def _number_key(entry: Entry) -> tuple[int, tuple[int, ...], str]:
    order = list(GROUPS).index(entry.kind)
    parts = tuple(int(p) for p in entry.key.split(".") if p.isdigit())
    return order, parts, entry.key


def _names(entry: Entry) -> set[str]:
    """Every way a user may name an entry: t-14-1-3, t_14_1_3, t_14_1_3_demographics, ..."""
    if entry.kind == "document":  # 'document.md.j2' alone would name every folder document
        template = template_name(entry.source)
        return {entry.id, template, template.removesuffix(".md.j2")}
    return {entry.id, entry.id.replace("-", "_"), entry.source.name, entry.source.stem}


def resolve(name: str, entries: Sequence[Entry]) -> Entry:
    """The entry a user means; a bare number ('14.2.1') must name one output only."""
    wanted = name.strip().lower()
    found = [e for e in entries if wanted in _names(e)] or [e for e in entries
                                                            if e.key == wanted]
    if len(found) == 1:
        return found[0]
    if found:
        raise UserError(f"{name!r} names {' and '.join(f'{e.kind} {e.id}' for e in found)}; "
                        "give one of those ids")
    raise UserError(f"{name!r}: no such output in the catalogue{_suggest(wanted, entries)} "
                    "(`submission-kit list --available` lists them all)")


def _suggest(wanted: str, entries: Sequence[Entry]) -> str:
    by_name = {n: e.id for e in entries for n in (*_names(e), e.key)}
    close = difflib.get_close_matches(wanted, list(by_name), n=1, cutoff=0.6)
    ids = [by_name[close[0]]] if close else [
        e.id for e in entries if wanted and wanted in (e.source.stem + " " + e.title).lower()]
    return f"; did you mean {' or '.join(dict.fromkeys(ids))}?" if ids else ""


def append_block(text: str, entry: Entry, data: Mapping[str, Any] | None = None) -> str:
    """`text` with the entry's example block appended, under a comment saying where it came
    from. Nothing before it changes; the file's line endings are kept. Sections of the example
    that the study already has (`data`, e.g. a document's [regulatory.ema] facts) are left
    out: the study's own words stay, and TOML forbids a table defined twice."""
    newline = "\r\n" if "\r\n" in text else "\n"
    example = _without_existing(entry.example, data or {})
    about = (f"{entry.kind.capitalize()} {entry.key}: {entry.title}. Added by `submission-kit "
             f"add {entry.id}` from the example in {entry.source_name}, which describes every "
             "option; edit it to fit the study.")
    comment = "".join(f"# {line}\n" for line in textwrap.wrap(about, 96, break_on_hyphens=False))
    block = (comment + example).replace("\n", newline)
    if text and not text.endswith(("\n", "\r")):
        text += newline
    return text + (newline if text else "") + block


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def _without_existing(example: str, data: Mapping[str, Any]) -> str:
    """The example without the [table] / [[array]] sections whose key path the study has."""
    kept: list[str] = []
    skipping = False
    for line in example.splitlines(keepends=True):
        match = _HEADER.match(line)
        if match:
            path = [part.strip().strip('"') for part in match.group(2).split(".")]
            skipping = _has(data, path)
            if skipping:
                kept.append(f"# [{match.group(2)}]: kept as the study has it\n")
        if not skipping:
            kept.append(line)
    return "".join(kept)


def _has(data: Mapping[str, Any], path: list[str]) -> bool:
    node: Any = data
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def example_problem(entry: Entry) -> str:
    """Why the entry's example block cannot be used ("" when it can)."""
    if not entry.example:
        return f"{entry.source_name} has no study.toml example block in its docstring"
    where = f"the study.toml example in {entry.source_name}"
    try:
        kind, key, _ = parse_example(entry.example)
    except tomllib.TOMLDecodeError as exc:
        return f"{where} is not valid TOML ({exc})"
    except ValueError as exc:
        return f"{where}: {exc}"
    return "" if (kind, key) == (entry.kind, entry.key) else f"{where} configures {kind} {key}"


def configures(data: Mapping[str, Any], entry: Entry) -> bool:
    """Whether parsed study.toml data already have the entry's block."""
    group = data.get(GROUPS[entry.kind], {})
    return isinstance(group, Mapping) and entry.key in group


# --- checks against a study (pure, given a column reader) ------------------------------------

def check_output(entry: Entry, study: Study, columns: Columns) -> Status:
    """A table or figure: its example block's parameters checked against the spec, the
    datasets and variables the spec then needs, and for a figure the table it draws."""
    from submission_kit.data.contracts import merge_needs
    from submission_kit.study import _freeze
    from submission_kit.tables.spec import _import_spec, check_params

    _, key, params = parse_example(entry.example)
    configured = _configured_outputs(entry, study)
    requires: tuple[str, ...] = ()
    if entry.kind == "figure":
        table = str(params.get("table") or key)
        requires = (f"table {table}",)
        if not any(o.kind == "table" and o.id == table for o in study.outputs):
            hint = f"submission-kit add {output_id('table', table)}"
            return Status(entry, (), requires, configured,
                          (f"table {table} is not configured ({hint})",))
    config = OutputConfig(key, entry.kind, entry.source.stem, _freeze(params))
    spec = _import_spec(entry.source)
    try:
        check_params(config, study, spec)
        needs = merge_needs(spec.needs(spec.context(config, study, {}))).values()
    except UserError as exc:
        return Status(entry, (), requires, configured, (_short(exc.message, study),))
    datasets = tuple(_check_dataset(n.dataset, tuple(v.name for v in n.variables), study,
                                    columns) for n in needs)
    problems = tuple(d.problem or f"{d.name.upper()} has no {', '.join(d.missing)}"
                     for d in datasets if d.problem or d.missing)
    return Status(entry, datasets, requires, configured, problems)


def _short(message: str, study: Study) -> str:
    return message.removeprefix(f"{study.path}: ")


def _configured_outputs(entry: Entry, study: Study) -> tuple[str, ...]:
    """Outputs whose `spec` finds this file by the rule of `find_spec_file`."""
    stem = entry.source.stem
    return tuple(o.id for o in study.outputs if o.kind == entry.kind
                 and (o.spec == stem or stem.startswith(o.spec + "_")))


def _check_dataset(name: str, variables: tuple[str, ...], study: Study,
                   columns: Columns) -> DatasetCheck:
    source = next((s for s in study.datasets if s.name == name), None)
    if source is None:
        return DatasetCheck(name, variables, None,
                            problem=f"dataset {name} is not in [data.datasets]")
    try:
        present = columns(source.path)
    except UserError as exc:
        return DatasetCheck(name, variables, source.path, problem=f"dataset {name}: {exc}")
    return DatasetCheck(name, variables, source.path,
                        missing=tuple(v for v in variables if v not in present))


def regulatory_keys(template_source: str) -> tuple[str, ...]:
    """The [regulatory] keys a template reads (`regulatory.x`, or `reg.x` after
    `{% set reg = regulatory %}`): each one is required, as the environment is strict."""
    import jinja2
    from jinja2 import nodes

    tree = jinja2.Environment().parse(template_source)
    names = {"regulatory"} | {
        n.target.name for n in tree.find_all(nodes.Assign)
        if isinstance(n.target, nodes.Name) and isinstance(n.node, nodes.Name)
        and n.node.name == "regulatory"}
    keys = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Getattr):
            read, key = node.node, node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            read, key = node.node, node.arg.value
        else:
            continue
        if isinstance(read, nodes.Name) and read.name in names and isinstance(key, str):
            keys.append(key)
    return tuple(dict.fromkeys(keys))


_OUTPUT_ID = re.compile(r"\d+(\.\d+)+[a-z]?")


def _cited(node: Any, kind: str) -> Iterator[tuple[str, str]]:
    """(kind, id) of every output the [regulatory] facts cite: ids under a key naming tables
    or figures (questions' `tables`, `background_tables`, `{ table = ... }`) or results
    (`key_results`, `efficacy_results`: the tables whose results the text quotes)."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            hint = ("figure" if "figure" in key else
                    "table" if "table" in key or key.endswith("results") else kind)
            yield from _cited(value, hint)
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from _cited(item, kind)
    elif isinstance(node, str) and kind and _OUTPUT_ID.fullmatch(node):
        yield kind, node


def check_document(entry: Entry, study: Study, template_source: str) -> Status:
    """A document needs the [regulatory] facts its template reads, and the tables and
    figures those facts cite (questions, key results, background tables) configured."""
    keys = regulatory_keys(template_source)
    problems = []
    missing = [k for k in keys if k not in study.regulatory]
    if missing and len(missing) == len(keys):
        problems.append(f"[regulatory] has none of the {len(keys)} facts the template reads")
    elif missing:
        problems.append(f"[regulatory] has no {', '.join(missing)}")
    built = {(o.kind, o.id) for o in study.outputs}
    read = {k: study.regulatory[k] for k in keys if k in study.regulatory}
    cited = dict.fromkeys(_cited(read, ""))
    for kind in ("table", "figure"):
        absent = [i for k, i in cited if k == kind and (kind, i) not in built]
        if absent:
            problems.append(f"[regulatory] cites {kind}s that are not configured: "
                            f"{', '.join(absent)}")
    configured = tuple(d.id for d in study.documents if d.template == template_name(entry.source))
    return Status(entry, (), tuple(f"[regulatory] {k}" for k in keys), configured,
                  tuple(problems))


# --- what is printed (pure) ------------------------------------------------------------------

def as_text(statuses: Sequence[Status], study: Study, width: int = 100) -> list[str]:
    """One line per output (id, whether the study has the data its example block needs,
    the study.toml keys that already build it, title), then what it needs and lacks."""
    id_width = max((len(s.entry.id) for s in statuses), default=10) + 2
    configured = [", ".join(s.configured) or "-" for s in statuses]
    conf_width = max([len("CONFIGURED"), *map(len, configured)]) + 2
    pad = " " * (2 + id_width)
    lines = [f"What submission-kit can build, checked against {study.id} ({study.path}):",
             f"  {'ID':{id_width}}{'DATA':6}{'CONFIGURED':{conf_width}}TITLE"]
    for s, conf in zip(statuses, configured, strict=True):
        lines.append(f"  {s.entry.id:{id_width}}{'yes' if s.has_data else 'no':6}"
                     f"{conf:{conf_width}}{s.entry.kind} {s.entry.key}: {s.entry.title}")
        details = [f"needs {d.name.upper()}: {' '.join(dict.fromkeys(d.variables))}"
                   for d in s.datasets]
        if s.requires:
            details.append(f"{'reads' if s.entry.kind == 'figure' else 'needs'} "
                           f"{_join_requires(s.requires)}")
        details += [f"missing: {p}" for p in s.problems]
        lines += [textwrap.fill(d, width, initial_indent=pad, subsequent_indent=pad + "  ",
                                break_on_hyphens=False) for d in details]
    have = sum(s.has_data for s in statuses)
    lines.append(f"{len(statuses)} outputs, {have} with the data their example block needs, "
                 f"{sum(bool(c != '-') for c in configured)} configured. "
                 "`submission-kit add ID --study PATH` appends an output's example block to "
                 "study.toml.")
    return lines


def _join_requires(requires: Sequence[str]) -> str:
    regulatory = [r.removeprefix("[regulatory] ") for r in requires
                  if r.startswith("[regulatory] ")]
    others = [r for r in requires if not r.startswith("[regulatory] ")]
    return "; ".join([*others, *([f"[regulatory] {', '.join(regulatory)}"] if regulatory
                                 else [])])


def as_json(statuses: Sequence[Status], study: Study, schema: int) -> dict[str, Any]:
    return {
        "schema": schema,
        "command": "list",
        "study": {"id": study.id, "file": str(study.path)},
        "available": [{
            "id": s.entry.id, "kind": s.entry.kind, "key": s.entry.key, "title": s.entry.title,
            "source": s.entry.source_name, "has_data": s.has_data,
            "configured": list(s.configured), "requires": list(s.requires),
            "problems": list(s.problems),
            "datasets": [{"name": d.name, "path": None if d.path is None else str(d.path),
                          "variables": list(dict.fromkeys(d.variables)), "missing": list(d.missing),
                          "problem": d.problem} for d in s.datasets],
        } for s in statuses],
    }


# --- I/O -------------------------------------------------------------------------------------

@cache
def load_catalogue(root: Path = BUNDLED) -> tuple[Entry, ...]:
    """Every bundled spec (tables/, figures/) and document template (templates/, except the
    `_partials`), in output-number order."""
    entries = [_spec_entry(kind, path) for kind in ("table", "figure")
               for path in sorted((root / GROUPS[kind]).glob(f"{kind[0]}_*.py"))]
    templates = root / "templates"
    entries += [_template_entry(path) for path in sorted([*templates.glob("*.md.j2"),
                                                          *templates.glob(f"*/{ROOT_TEMPLATE}")])
                if not path.name.startswith("_")]
    return tuple(sorted(entries, key=_number_key))


def _spec_entry(kind: str, path: Path) -> Entry:
    from submission_kit.tables.spec import _import_spec

    source = path.read_text(encoding="utf-8")
    example = example_block(ast.get_docstring(ast.parse(source)) or "")
    key = _key_of(example, kind, path)
    return Entry(output_id(kind, key), kind, key, _import_spec(path).title, path, example)


def _template_entry(path: Path) -> Entry:
    match = re.match(r"\s*\{#(.*?)#\}", path.read_text(encoding="utf-8"), re.DOTALL)
    example = example_block(match.group(1)) if match else ""
    key = _key_of(example, "document", path)
    try:
        title = str(parse_example(example)[2].get("title", "")) if example else ""
    except (ValueError, tomllib.TOMLDecodeError):
        title = ""  # `example_problem` says why
    return Entry(key, "document", key, title or key, path, example)


def _key_of(example: str, kind: str, path: Path) -> str:
    """The study.toml key the example configures; else one read from the file name."""
    if example:
        try:
            return parse_example(example)[1]
        except (ValueError, tomllib.TOMLDecodeError):
            pass  # reported by the tests and by `add`
    if kind == "document":
        return template_name(path).removesuffix(f"/{ROOT_TEMPLATE}").removesuffix(".md.j2")
    parts = path.stem.split("_")[1:]
    return ".".join(p for p in parts if p.isdigit()) or path.stem


def template_name(path: Path) -> str:
    """The name a study.toml `template` key gives: 'doc.md.j2', or 'doc/document.md.j2' for a
    document kept as one file per section."""
    return f"{path.parent.name}/{path.name}" if path.name == ROOT_TEMPLATE else path.name


def document_source(path: Path) -> str:
    """A document's whole template text: the root, then its section files (the root sets
    `reg = regulatory` for all of them, so the keys read in every section are found)."""
    parts = [path] + (sorted(p for p in path.parent.glob("*.md.j2") if p != path)
                      if path.name == ROOT_TEMPLATE else [])
    return "\n".join(p.read_text(encoding="utf-8") for p in parts)


def read_columns(path: Path) -> frozenset[str]:
    """A dataset's column names, from its metadata only (no rows are read)."""
    from submission_kit.data.io import dataset_format

    if not path.is_file():
        raise UserError(f"{path} not found")
    fmt = dataset_format(path)
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return frozenset(pq.read_schema(path).names)
        if fmt == "csv":
            opener = gzip.open if path.name.lower().endswith(".gz") else open
            with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
                return frozenset(next(csv.reader(handle), []))
        import pyreadstat

        reader = pyreadstat.read_xport if fmt == "xpt" else pyreadstat.read_sas7bdat
        _, meta = reader(str(path), metadataonly=True)
        return frozenset(meta.column_names)
    except Exception as exc:  # a damaged file is the user's to fix
        raise UserError(f"{path}: cannot be read as {fmt}: {exc}") from exc


def statuses(study: Study, entries: Iterable[Entry] | None = None) -> list[Status]:
    """Every entry (default: the whole catalogue) against the study; each dataset's
    columns are read once."""
    columns = cache(read_columns)
    out = []
    for entry in load_catalogue() if entries is None else entries:
        problem = example_problem(entry)
        if problem:
            out.append(Status(entry, (), (), (), (problem,)))
        elif entry.kind == "document":
            out.append(check_document(entry, study, document_source(entry.source)))
        else:
            out.append(check_output(entry, study, columns))
    return out


def study_file(path: Path | None) -> Path:
    """What `add` edits: --study (a study.toml or its folder), else ./study.toml. The bundled
    demo is part of the tool and is never edited."""
    target = Path("study.toml") if path is None else path
    if target.is_dir():
        target = target / "study.toml"
    if not target.is_file():
        hint = (" (no study.toml in the current folder; give --study PATH)" if path is None
                else "")
        raise UserError(f"{target}: study file not found{hint}")
    if target.resolve().is_relative_to(_PACKAGE):
        raise UserError(f"{target}: this is the bundled demo study, part of the tool; "
                        "`submission-kit init DIR` writes an editable copy to add outputs to")
    return target


def add(name: str, path: Path | None) -> tuple[Entry, Path]:
    """Append the named entry's example block to the study file, atomically. Refused (and
    nothing written) for an unknown name, an output the study already configures, a study
    file that does not parse, or a result that would not."""
    entry = resolve(name, load_catalogue())
    problem = example_problem(entry)
    if problem:
        raise UserError(f"{entry.id}: {problem} (a bug in submission-kit: please report it)")
    target = study_file(path).resolve()
    try:
        text = target.read_bytes().decode("utf-8")
        data = tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"{target}: not valid TOML ({exc}); fix it before adding "
                        f"{entry.id}") from None
    if configures(data, entry):
        raise UserError(f"{entry.id}: {target} already configures {entry.header}; edit that "
                        "block (or remove it to start again from the example)")
    new_text = append_block(text, entry, data)
    try:
        tomllib.loads(new_text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{entry.id}: appending {entry.header} would leave {target} "
                        f"unparsable ({exc}); nothing was written") from None
    write_atomic(target, new_text)
    return entry, target


def write_atomic(path: Path, text: str) -> None:
    """Write next to the file, then rename over it: a reader sees the old or the new file,
    never half of one."""
    temporary = path.with_name(f".{path.name}.add-{os.getpid()}")
    try:
        with open(temporary, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise UserError(f"{path}: cannot write ({exc.strerror or exc}); nothing changed") from None
