"""`submission-kit check [OUT_DIR]`: is a finished build ready to submit?

Reads only the build folder (its manifest and the files under deliverables/ and records/),
never the study or the data. Each rule is one function of the loaded build returning findings:

1. `pdf_rule` — every PDF against the FDA PDF specification (check_pdf.py).
2. `titles_rule` — every table and figure has a title, a population line and a source.
3. `placeholder_rule` — no unresolved placeholder (mock cells xx.x, TODO, TBD, {{ }}, [[) in
   a document's text or a table's cells; a mock build is one warning instead.
4. `cross_reference_rule` — each Table/Figure/Listing/Appendix/Section a document cites
   exists in that document or, for tables and figures, as a built output.
5. `same_statistic_rule` — a statistic (a trace `ref`) is quoted with the same text
   everywhere.
6. `orphan_sections_rule` — the orphan designation documents carry 21 CFR 316.20(b) items
   1-9 (US) and sections A-E (EU), when the build has them.

Exit 0: no error (warnings allowed); 1: a rule fails; 2: the folder is not a build.
Integrity (files against the manifest's hashes, stale inputs) is `submission-kit verify`.
"""

from __future__ import annotations

import html
import json
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from submission_kit.check_pdf import Finding, Severity, pdf_findings
from submission_kit.errors import UserError
from submission_kit.outputs import DELIVERABLES, MANIFEST, RECORDS, parse, trace_file
from submission_kit.publish import TOOL_NAME, read_previous

__all__ = ["Build", "Finding", "Report", "Severity", "check_build", "load_build"]

# The running header `build --mock` gives every TLF file (build.MOCK_BANNER; build.py is not
# imported here: it loads the analysis stack, seconds for a check that needs none of it).
MOCK_MARK = "Mock shell"


@dataclass(frozen=True, slots=True)
class Build:
    """What the rules read: the folder, its manifest and its JSON files by relative path."""

    path: Path
    manifest: Mapping[str, Any]
    # By the path the manifest lists: "records/tables/t-14-1-3.json" -> the table model.
    tables: Mapping[str, Any] = field(default_factory=dict)
    documents: Mapping[str, Any] = field(default_factory=dict)  # document models (blocks)
    traces: Mapping[str, Any] = field(default_factory=dict)  # traces (numbers)
    pdfs: tuple[str, ...] = ()
    figures: tuple[str, ...] = ()  # stems: "f-14-2-1"
    files: tuple[str, ...] = ()  # every output file in the folder

    def siblings(self, kind: str, stem: str, *exts: str) -> list[str]:
        """The files of one output (e.g. a table's DOCX and PDF), in `exts` order."""
        found = {w.ext: r for r in self.files
                 if (w := parse(r)).kind == kind and w.stem == stem}
        return [found[e] for e in exts if e in found]

    @property
    def mock(self) -> bool:
        """`build --mock` records no build-graph node and reads no dataset (rows null)."""
        inputs = [i for i in self.manifest.get("inputs") or () if isinstance(i, dict)]
        return (not self.manifest.get("nodes") and bool(self.tables)
                and all(i.get("rows") is None for i in inputs if "dataset" in i))


@dataclass(frozen=True, slots=True)
class Report:
    """Findings in rule order. `ok`: no error (exit 0); a mock build can be ok but is never
    `ready` (as_json) to submit."""

    out_dir: Path
    findings: tuple[Finding, ...]
    checked: Mapping[str, int]  # what was looked at: PDFs, tables, figures, documents, traces
    mock: bool = False

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_json(self) -> dict[str, Any]:
        return {"folder": str(self.out_dir), "ok": self.ok, "ready": self.ok and not self.mock,
                "mock": self.mock, "checked": dict(self.checked), "errors": len(self.errors),
                "warnings": len(self.warnings), "findings": [f.as_json() for f in self.findings]}


_TOPS = (DELIVERABLES, RECORDS, ".")  # ".": a build from before the split
_FILE_KINDS = ("documents", "tables", "figures", "trace", "results")


def load_build(out_dir: Path) -> tuple[Build, list[Finding]]:
    """The build's manifest and its files (deliverables/ and records/, or the top folders of
    a build from before the split); a JSON file that does not parse is a finding. Not a build
    (no manifest of ours): UserError, exit 2."""
    manifest = read_previous(out_dir)
    if not out_dir.is_dir() or manifest.get("tool", {}).get("name") != TOOL_NAME:
        raise UserError(f"{out_dir}: not a submission-kit build (no records/manifest.json of "
                        "ours); check takes the folder a build wrote")
    found: list[Finding] = []
    # What is in the folder, not only what the manifest lists: a renamed or added file is
    # what a reviewer would open too.
    listed = tuple(sorted(p.relative_to(out_dir).as_posix() for top in _TOPS
                          for p in (out_dir / top).glob("*/*.*")
                          if p.is_file() and parse(p.relative_to(out_dir).as_posix()).kind
                          in _FILE_KINDS))
    parsed: dict[str, dict[str, Any]] = {"tables": {}, "documents": {}, "trace": {}}
    for rel in listed:
        where = parse(rel)
        if where.ext != "json" or where.kind not in parsed:
            continue
        try:
            parsed[where.kind][rel] = json.loads((out_dir / rel).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            found.append(Finding("build-files", rel, f"cannot be read as JSON: {exc}"))
    pdfs = tuple(r for r in listed if parse(r).ext == "pdf" and parse(r).deliverable)
    figures = tuple(sorted({parse(r).stem for r in listed if parse(r).kind == "figures"}))
    return Build(out_dir, manifest, parsed["tables"], parsed["documents"], parsed["trace"],
                 pdfs, figures, listed), found


# ---- rule 1: PDFs ----------------------------------------------------------------------------

def pdf_rule(build: Build) -> list[Finding]:
    return [f for rel in build.pdfs for f in pdf_findings(build.path / rel, rel)]


# ---- rule 2: title, population, source --------------------------------------------------------

def table_title_findings(rel: str, model: Mapping[str, Any]) -> list[Finding]:
    """The table JSON contract: `title` lines (number, title, population), `population`,
    `source`."""
    title = [str(line).strip() for line in model.get("title") or ()]
    population = str(model.get("population") or "").strip()
    found = []
    if len(title) < 2 or not all(title[:2]):
        found.append(Finding("title", rel, f"no title (title lines: {title})"))
    if not population:
        found.append(Finding("population", rel, "no population line"))
    elif population not in title:
        found.append(Finding("population", rel, f"population {population!r} is not among "
                                                "the title lines, so the table does not show it"))
    if not str(model.get("source") or "").strip():
        found.append(Finding("source", rel, "no source (datasets and program)"))
    return found


@dataclass(frozen=True, slots=True)
class FigureText:
    """A figure's caption (its title lines after the number, joined by ' — ', as the writers
    store it in the file's Subject) and the text of its page."""

    caption: str
    text: str


def figure_text(path: Path) -> FigureText:
    """From the figure's PDF (metadata Subject, page 1 text) or DOCX (core Subject; header,
    body and footer text)."""
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        reader = PdfReader(path, strict=False)
        subject = str(reader.metadata.get("/Subject") or "") if reader.metadata else ""
        return FigureText(subject, reader.pages[0].extract_text() if reader.pages else "")
    with zipfile.ZipFile(path) as docx:
        core = docx.read("docProps/core.xml").decode("utf-8")
        # A TLF's title block is in its running header, footnotes and source in its footer.
        names = sorted(docx.namelist())
        parts = [*(n for n in names if re.fullmatch(r"word/header\d*\.xml", n)),
                 "word/document.xml",
                 *(n for n in names if re.fullmatch(r"word/footer\d*\.xml", n))]
        xml = "".join(docx.read(n).decode("utf-8") for n in parts)
    found = re.search(r"<dc:subject>(.*?)</dc:subject>", core, re.S)
    paragraphs = ["".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", p))
                  for p in re.findall(r"<w:p[ >].*?</w:p>", xml, re.S)]
    return FigureText(html.unescape(found.group(1)) if found else "",
                      html.unescape("\n".join(paragraphs)))


def figure_title_findings(rel: str, figure: FigureText) -> list[Finding]:
    """The caption must have a title and a population part, both printed on the page, and
    the page a 'Source:' line."""
    shown = " ".join(figure.text.split())
    parts = [p.strip() for p in figure.caption.split(" — ")]
    found = []
    if not parts[0] or " ".join(parts[0].split()) not in shown:
        found.append(Finding("title", rel, "no title on the page"
                             + (f" ({parts[0]!r} is in the metadata only)" if parts[0] else "")))
    if len(parts) < 2 or not parts[-1] or " ".join(parts[-1].split()) not in shown:
        found.append(Finding("population", rel, "no population line under the title"))
    if not re.search(r"\bSource:\s*\S", figure.text):
        found.append(Finding("source", rel, "no 'Source:' line (datasets and program)"))
    return found


def titles_rule(build: Build) -> list[Finding]:
    found = [f for rel, model in build.tables.items() if isinstance(model, dict)
             for f in table_title_findings(rel, model)]
    for stem in build.figures:
        rels = [r for r in build.siblings("figures", stem, "pdf", "docx")
                if (build.path / r).is_file()]
        if not rels:
            continue  # an image only: nothing a reviewer opens on its own
        rel, path = rels[0], build.path / rels[0]
        try:
            found += figure_title_findings(rel, figure_text(path))
        except Exception as exc:  # damaged: rule 1 reports the PDF too
            found.append(Finding("title", rel, f"cannot read the figure's text: {exc}"))
    return found


# ---- rule 3: placeholders -----------------------------------------------------------------

PLACEHOLDERS = re.compile(
    r"(?<!\w)(?:xx+(?:\.x+)?|x\.x+)(?!\w)"  # mock cells: xx, xx.x, x.xxx, xx/xx
    r"|^YYYY-MM-DD$"  # a mock listing's date cell (a footnote may name the format)
    r"|\bTODO\b|\bTBD\b|\{\{|\}\}|\[\[")
_DOC_SKIP = {"anchor", "kind", "ref", "section", "document", "index", "level", "depth", "marker"}
_TABLE_SKIP = {"keys", "id", "key", "orientation"}


def _strings(value: Any, skip: set[str], where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in skip:
                yield from _strings(item, skip, where)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, skip, where)


def document_strings(document: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, text) of every shown string of a documents/<id>.json."""
    yield from _strings({k: v for k, v in document.items() if k != "blocks"}, _DOC_SKIP,
                        "title page")
    for block in document.get("blocks") or ():
        if isinstance(block, dict):
            where = (f"{block.get('kind', 'block')} {block.get('index', '?')} in "
                     f"'{block.get('section') or '(before the first heading)'}'")
            yield from _strings(block, _DOC_SKIP, where)


def table_strings(model: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, text) of every shown string of a table model."""
    yield from _strings({k: v for k, v in model.items() if k != "rows"}, _TABLE_SKIP,
                        "title, header or footnotes")
    labels = [str(c.get("label", "")) for c in model.get("columns") or () if isinstance(c, dict)]
    for row in model.get("rows") or ():
        if not isinstance(row, dict):
            continue
        yield f"row {row.get('label', '')!r}", str(row.get("label", ""))
        for i, cell in enumerate(row.get("cells") or ()):
            column = labels[i] if i < len(labels) else str(i + 1)
            yield f"row {row.get('label', '')!r}, column {column!r}", str(cell)


def placeholder_findings(rel: str, strings: Iterator[tuple[str, str]]) -> list[Finding]:
    """One finding per placeholder kind: how many strings hold it and where the first is."""
    hits: dict[str, list[tuple[str, str]]] = {}
    for where, text in strings:
        for token in dict.fromkeys(m.group(0) for m in PLACEHOLDERS.finditer(text)):
            hits.setdefault(token, []).append((where, text))
    found = []
    for token, places in hits.items():
        where, text = places[0]
        more = f" and {len(places) - 1} more" if len(places) > 1 else ""
        found.append(Finding("placeholder", rel, f"unresolved placeholder {token!r} in {where}"
                                                 f" ({_clip(text)!r}){more}"))
    return found


def _clip(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def placeholder_rule(build: Build) -> list[Finding]:
    found = [f for rel, doc in build.documents.items() if isinstance(doc, dict)
             for f in placeholder_findings(rel, document_strings(doc))]
    found += [f for rel, model in build.tables.items() if isinstance(model, dict)
              for f in placeholder_findings(rel, table_strings(model))]
    mock = build.mock or (bool(found) and _says_mock(build))
    if not mock:
        return found
    return [Finding("mock-build", MANIFEST,
                    f"a mock build (`build --mock`): {len(build.tables)} tables are shells "
                    "with placeholders (xx.x), not for submission; build with data to submit",
                    "warning")] + [f for f in found if parse(f.artifact).kind != "tables"]


def _says_mock(build: Build) -> bool:
    """The running header of the TLF files says 'Mock shell' (DOCX header parts, or the
    first page of the PDF)."""
    for rel in build.tables:
        files = {parse(r).ext: build.path / r
                 for r in build.siblings("tables", parse(rel).stem, "docx", "pdf")}
        try:
            if "docx" in files:
                with zipfile.ZipFile(files["docx"]) as z:
                    return any(MOCK_MARK in z.read(n).decode("utf-8", "replace")
                               for n in z.namelist() if n.startswith("word/header"))
            if "pdf" in files:
                from pypdf import PdfReader

                return MOCK_MARK in PdfReader(files["pdf"], strict=False).pages[0].extract_text()
        except Exception:  # damaged: rule 1 says so
            continue
    return False


# ---- rule 4: cross-references ---------------------------------------------------------------

_NUM = r"(?:\d+(?:\.\d+)*|[IVX]+|[A-Z](?:\.\d+)*)"
_JOIN = r"(?:\s*,\s*|\s+(?:and|or|to)\s+|\s*[-\u2013]\s*)"
CROSS_REFERENCE = re.compile(
    r"\b(?P<kind>(?i:tables?|figures?|listings?|appendix|appendices|annex(?:es)?|sections?))"
    rf"\s+(?P<nums>{_NUM}(?:{_JOIN}{_NUM})*)(?![\w(])(?!\s+of\s+(?!this\b))")
_KINDS = {"tabl": "Table", "list": "Table", "figu": "Figure", "appe": "Appendix",
          "anne": "Appendix", "sect": "Section"}
_HEADING_NUMBER = re.compile(rf"^(?:(?i:section|item)\s+)?({_NUM})(?:[.:)]|\s|$)")
_APPENDIX = re.compile(rf"^(?i:appendix|annex)\s+({_NUM})\b")
_CAPTION = re.compile(r"^(Table|Listing|Figure)\s+(\S+?):")


def citations(text: str) -> Iterator[tuple[str, str, str]]:
    """(kind, number, as written) of each cross-reference: 'Tables 14.2.1 and 14.2.2' gives
    two. A list joins numbers only after a plural ('Table 14.1.3 and 2 subjects' is one);
    'Section 351(a)' and 'Table 2 of the guideline' cite other texts and are skipped."""
    for match in CROSS_REFERENCE.finditer(text):
        word = match.group("kind").lower()
        kind = _KINDS[word[:4]]
        plural = word in ("tables", "figures", "listings", "appendices", "annexes", "sections")
        numbers = re.findall(_NUM, match.group("nums")) if plural else [
            re.match(_NUM, match.group("nums")).group(0)]  # type: ignore[union-attr]
        for number in numbers:
            if kind in ("Table", "Figure") and not number[0].isdigit():
                continue  # 'Tables I' is not a table number we build
            yield kind, number, match.group(0) if plural else f"{match.group('kind')} {number}"


def heading_number(text: str) -> str | None:
    """'10.1 Data for Question 1' -> '10.1'; 'III. Background' -> 'III'; 'A. Quality' -> 'A'."""
    match = _HEADING_NUMBER.match(text.strip())
    return match.group(1) if match else None


def defined_targets(document: Mapping[str, Any]) -> dict[str, set[str]]:
    """What a document holds, by kind: tables and figures by id and by caption number,
    sections by heading number (and their parents), appendices by heading."""
    found: dict[str, set[str]] = {"Table": set(), "Figure": set(), "Section": set(),
                                  "Appendix": set()}
    for block in document.get("blocks") or ():
        if not isinstance(block, dict):
            continue
        kind, text = block.get("kind"), str(block.get("text") or "")
        if kind in ("table", "figure"):
            found[kind.title()].add(str(block.get("ref")))
            caption = _CAPTION.match(text)
            if caption:
                found["Figure" if caption.group(1) == "Figure" else "Table"].add(caption.group(2))
        elif kind == "heading":
            number = heading_number(text)
            while number:
                found["Section"].add(number)
                number = number.rpartition(".")[0] if "." in number else None
            appendix = _APPENDIX.match(text.strip())
            if appendix:
                found["Appendix"].add(appendix.group(1))
    return found


def built_targets(build: Build) -> dict[str, set[str]]:
    """Tables (and listings) and figures the build wrote as outputs of their own."""
    tables = {str(m.get("id")) for m in build.tables.values() if isinstance(m, dict)}
    figures = {stem[2:].replace("-", ".") for stem in build.figures if stem.startswith("f-")}
    return {"Table": tables, "Figure": figures}


def cross_reference_findings(rel: str, document: Mapping[str, Any],
                             built: Mapping[str, set[str]]) -> list[Finding]:
    here = defined_targets(document)
    missing: dict[tuple[str, str], list[str]] = {}
    for where, text in document_strings(document):
        for kind, number, written in citations(text):
            if number not in here[kind] and number not in built.get(kind, set()):
                missing.setdefault((kind, number), []).append(f"{where}: {written!r}")
    found = []
    for (kind, number), places in missing.items():
        target = ("in this document or among the build's outputs"
                  if kind in ("Table", "Figure") else "in this document (no such heading)")
        more = f" and {len(places) - 1} more places" if len(places) > 1 else ""
        found.append(Finding("cross-reference", rel, f"cites {kind} {number}, which is not "
                                                     f"{target} ({places[0]}{more})"))
    return found


def cross_reference_rule(build: Build) -> list[Finding]:
    built = built_targets(build)
    return [f for rel, doc in build.documents.items() if isinstance(doc, dict)
            for f in cross_reference_findings(rel, doc, built)]


# ---- rule 5: one statistic, one text --------------------------------------------------------

def same_statistic_rule(build: Build) -> list[Finding]:
    """Trace entries with the same `ref` (a results key or a study.toml key) quote the same
    text, within a document and across documents."""
    quoted: dict[str, dict[str, list[str]]] = {}  # ref -> text -> where
    for rel, trace in build.traces.items():
        numbers = trace.get("numbers") if isinstance(trace, dict) else None
        for entry in numbers or ():
            if isinstance(entry, dict) and "ref" in entry:
                where = f"{rel.rsplit('/', 1)[-1][:-5]} ({entry.get('template')} line " \
                        f"{entry.get('line')})"
                quoted.setdefault(str(entry["ref"]), {}).setdefault(
                    str(entry.get("text")), []).append(where)
    found = []
    for ref, texts in sorted(quoted.items()):
        if len(texts) > 1:
            shown = "; ".join(f"{text!r} in {', '.join(dict.fromkeys(places))}"
                              for text, places in texts.items())
            files = sorted({p.split(" ", 1)[0] for places in texts.values() for p in places})
            found.append(Finding("same-statistic", ", ".join(trace_file(f) for f in files),
                                 f"{ref} is quoted differently: {shown}"))
    return found


# ---- rule 6: orphan designation content -----------------------------------------------------

# reference/regulatory.md §1: 21 CFR 316.20(b) items, numbered as the regulation numbers
# them; each with words one of which its heading must carry (lowercase).
FDA_ORPHAN_ITEMS = (
    ("1", "Statement requesting designation for a rare disease or condition", ("request",)),
    ("2", "Sponsor, primary contact and US resident agent; generic and trade name; source of "
          "the drug", ("sponsor", "contact", "resident agent")),
    ("3", "Description of the disease or condition, the proposed use, and why the therapy is "
          "needed", ("disease", "condition", "proposed use")),
    ("4", "Description of the drug and the scientific rationale, with all nonclinical and "
          "clinical data", ("rationale", "description of the drug")),
    ("5", "Clinical superiority over an approved orphan drug for the same condition",
     ("superior",)),
    ("6", "Medical plausibility of a subset of the disease", ("subset",)),
    ("7", "Regulatory status and marketing history in the US and abroad",
     ("regulatory status", "marketing history", "regulatory history")),
    ("8", "Documentation that the disease affects fewer than 200,000 persons in the US",
     ("prevalence", "200,000", "population")),
    ("9", "Statement whether the sponsor is the real party in interest",
     ("real party", "party in interest")),
)
# reference/regulatory.md §2: EU orphan designation application, scientific part A-E.
EU_ORPHAN_SECTIONS = (
    ("A", "Description of the condition", ("condition",)),
    ("B", "Prevalence of the condition", ("prevalence",)),
    ("C", "Potential for return on investment", ("return on investment",)),
    ("D", "Other methods for diagnosis, prevention or treatment of the condition",
     ("method", "significant benefit")),
    ("E", "Description of the stage of development", ("development",)),
)
ORPHAN_DOCUMENTS = {
    "fda-orphan-designation-request": ("21 CFR 316.20(b) item", FDA_ORPHAN_ITEMS),
    "eu-orphan-designation-application": ("EU application section", EU_ORPHAN_SECTIONS),
}


def required_heading_findings(rel: str, document: Mapping[str, Any], label: str,
                              required: Sequence[tuple[str, str, tuple[str, ...]]]
                              ) -> list[Finding]:
    """Each required item needs a heading numbered as the item is, naming its subject."""
    headings = [str(b.get("text") or "").strip() for b in document.get("blocks") or ()
                if isinstance(b, dict) and b.get("kind") == "heading"]
    found = []
    for number, title, words in required:
        if any(heading_number(h) == number and any(w in h.lower() for w in words)
               for h in headings):
            continue
        elsewhere = [h for h in headings if any(w in h.lower() for w in words)]
        hint = (f"; closest heading: {elsewhere[0]!r} (numbered otherwise)" if elsewhere
                else "")
        found.append(Finding("orphan-content", rel, f"no heading for {label} {number}: "
                                                    f"{title}{hint}"))
    return found


def orphan_sections_rule(build: Build) -> list[Finding]:
    found = []
    for doc_id, (label, required) in ORPHAN_DOCUMENTS.items():
        rel = next((r for r in build.documents if parse(r).stem == doc_id), "")
        document = build.documents.get(rel)
        if isinstance(document, dict):
            found += required_heading_findings(rel, document, label, required)
    return found


# ---- the whole check ------------------------------------------------------------------------

RULES: tuple[Callable[[Build], list[Finding]], ...] = (
    pdf_rule, titles_rule, placeholder_rule, cross_reference_rule, same_statistic_rule,
    orphan_sections_rule)


def check_build(out_dir: Path) -> Report:
    """Every rule over the build in `out_dir`; UserError when it is not a build."""
    build, found = load_build(out_dir)
    for rule in RULES:
        found += rule(build)
    checked = {"pdfs": len(build.pdfs), "tables": len(build.tables),
               "figures": len(build.figures), "documents": len(build.documents),
               "traces": len(build.traces)}
    return Report(out_dir, tuple(found), checked, build.mock)
