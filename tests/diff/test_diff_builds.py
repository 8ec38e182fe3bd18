"""End to end: the demo built as is, and again from an `init` copy in which two ADSL rows, one
ADAE record, a table title in study.toml and one template sentence were changed. The diff
must report exactly those causes (inputs) and exactly their effects, classified and located;
the expected cell values are recomputed here from the edited data with pandas."""

from __future__ import annotations

import argparse
import io
import json
import re
import shutil
import subprocess
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree
from rich.console import Console

from submission_kit.build import BuildOptions, build
from submission_kit.cli import main
from submission_kit.diff.changes import SEP
from submission_kit.diff.cli import add_diff_parser, run_diff
from submission_kit.diff.compare import compare
from submission_kit.diff.load import DEMO_STUDY, load_build, load_pair
from submission_kit.diff.redline import AUTHOR, as_redlines
from submission_kit.diff.report_html import as_html
from submission_kit.study import load_study

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
EDIT = "EDITED"  # the word inserted into one template sentence and the 14.2.1 title
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
_COMMENT = re.compile(r"\{#.*?#\}", re.S)


def edit_data(study: Path) -> dict[str, str]:
    """One ADSL subject's sex and another's El Escorial category, and one TEAE made serious
    for a subject who had none: the kind of corrections a new data transfer brings."""
    adsl = pd.read_parquet(study / "data/adsl.parquet")
    itt = adsl[adsl.ITTFL == "Y"]
    male = itt[(itt.TRT01P == "Placebo") & (itt.SEX == "M")].USUBJID.iloc[0]
    definite = itt[(itt.TRT01P == "IL-2LD") & (itt.DIAGCAT == "Definite")].USUBJID.iloc[0]
    adsl.loc[adsl.USUBJID.eq(male), "SEX"] = "F"
    adsl.loc[adsl.USUBJID.eq(definite), "DIAGCAT"] = "Possible"
    adsl.to_parquet(study / "data/adsl.parquet", index=False)
    adae = pd.read_parquet(study / "data/adae.parquet")
    teae = adae[(adae.TRTEMFL == "Y") & (adae.SAFFL == "Y")]
    serious = set(teae[teae.AESER == "Y"].USUBJID)
    record = teae[~teae.USUBJID.isin(serious)].iloc[0]
    adae.loc[adae.USUBJID.eq(record.USUBJID) & adae.AESEQ.eq(record.AESEQ), "AESER"] = "Y"
    adae.to_parquet(study / "data/adae.parquet", index=False)
    return {"male": male, "definite": definite, "ae_subject": record.USUBJID,
            "ae_seq": str(int(record.AESEQ))}


def edit_title(study: Path, old_title: str) -> str:
    """Table 14.2.1's title in study.toml gains a word (the key is added if the study left
    the spec's default title)."""
    path = study / "study.toml"
    config = path.read_text(encoding="utf-8")
    head = '[tables."14.2.1"]\n'
    start = config.index(head) + len(head)
    end = config.find("\n[", start)
    section = config[start:end if end >= 0 else len(config)]
    new_title = f"{old_title} {EDIT}"
    line = re.search(r'^title = ".*"$', section, re.M)
    edited = (section.replace(line.group(0), f"title = {json.dumps(new_title)}") if line
              else f"title = {json.dumps(new_title)}\n{section}")
    path.write_text(config[:start] + edited + config[start + len(section):], encoding="utf-8")
    return new_title


def pick_sentence(folder: Path, document: dict) -> tuple[Path, str, dict]:
    """A run of literal template text (4+ words) that the old document prints exactly once,
    in a paragraph other than the one quoting the percentage of men (whose numbers change).
    Chosen from whatever the templates say today, so template edits elsewhere do not break
    this test."""
    blocks = document["blocks"]
    printed = "\n".join(b.get("text", "") + str(b.get("rows", "")) for b in blocks)
    sources = {p: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.j2"))}
    for path, source in sources.items():
        for line in _COMMENT.sub("", source).splitlines():
            for run in (r.strip() for r in _JINJA.split(line)):
                if len(run.split()) < 4 or not any(w.isalpha() for w in run.split()):
                    continue
                if sum(s.count(run) for s in sources.values()) != 1 or printed.count(run) != 1:
                    continue
                (block,) = [b for b in blocks if run in b.get("text", "")] or [None]
                if block and block["kind"] == "paragraph" and "were male" not in block["text"]:
                    return path, run, block
    raise AssertionError(f"no literal template sentence to edit in {folder}")


def with_edit(run: str) -> str:
    """The run with EDIT inserted after its first word of letters."""
    words = run.split(" ")
    first = next(i for i, w in enumerate(words) if w.isalpha())
    return " ".join([*words[:first + 1], EDIT, *words[first + 1:]])


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    root = tmp_path_factory.mktemp("diff")
    old = root / "old" / "output"
    build(load_study(DEMO_STUDY), BuildOptions(out_dir=old, formats=("docx",)))
    same = root / "same" / "output"
    shutil.copytree(old, same)
    before = load_build(old)
    study = root / "study"
    assert main(["init", str(study)]) == 0
    edits = edit_data(study)
    old_title = before.tables["14.2.1"]["title"][1]
    new_title = edit_title(study, old_title)
    template, run, block = pick_sentence(study / "templates",
                                         before.documents["fda-meeting-package"])
    template.write_text(template.read_text(encoding="utf-8").replace(run, with_edit(run)),
                        encoding="utf-8")
    new = study / "output"
    build(load_study(study / "study.toml"), BuildOptions(out_dir=new, formats=("docx",)))
    return {"old": old, "same": same, "new": new, "study": study, "old_title": old_title,
            "new_title": new_title, "template": template, "run": run, "block": block, **edits}


@pytest.fixture(scope="module")
def pair(builds):
    return load_pair(builds["old"], builds["new"])


@pytest.fixture(scope="module")
def report(pair):
    return compare(pair)


def w(*parts: str) -> str:
    return SEP.join(parts)


def run(*argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    add_diff_parser(parser.add_subparsers(dest="command"))
    out = io.StringIO()
    code = run_diff(parser.parse_args(["diff", *map(str, argv)]),
                    Console(file=out, width=200, highlight=False))
    return code, out.getvalue()


def of(report, category, artifact=None):
    return [c for c in report.changes if c.category == category
            and (artifact is None or c.artifact == artifact)]


class FakeReporter:
    """The main CLI hands commands a Reporter; run_diff prints through its `status`."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def status(self, message) -> None:
        self.lines.append(str(message))


def test_identical_builds_exit_0_with_an_empty_report(builds, tmp_path):
    code, printed = run(builds["old"], builds["same"], "--json", tmp_path / "r.json")
    assert code == 0
    assert "No differences" in printed
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["changes"] == [] and data["summary"]["total"] == 0
    parser = argparse.ArgumentParser()
    add_diff_parser(parser.add_subparsers(dest="command"))
    reporter = FakeReporter()
    args = parser.parse_args(["diff", str(builds["old"]), str(builds["same"])])
    assert run_diff(args, reporter) == 0
    assert reporter.lines[-1] == "No differences"


def test_the_inputs_come_first_and_name_every_cause(builds, report):
    inputs = of(report, "inputs")
    assert report.changes[:len(inputs)] == tuple(inputs)
    template = builds["template"].read_text(encoding="utf-8").splitlines()
    edited = with_edit(builds["run"])
    line = next(i for i, t in enumerate(template, start=1) if edited in t)
    title_key = next(c for c in inputs if c.artifact == "study.toml" and "title" in c.where)
    assert [(c.kind, c.where, c.old, c.new) for c in inputs] == [
        ("row-changed", w("Dataset ADAE", f"USUBJID={builds['ae_subject']}, AESEQ="
                                          f"{builds['ae_seq']}"), "AESER=N", "AESER=Y"),
        ("row-changed", w("Dataset ADSL", f"USUBJID={builds['male']}"), "SEX=M", "SEX=F"),
        ("row-changed", w("Dataset ADSL", f"USUBJID={builds['definite']}"),
         "DIAGCAT=Definite", "DIAGCAT=Possible"),
        (title_key.kind, w("study.toml", 'tables."14.2.1".title'),
         builds["old_title"] if title_key.kind == "key" else "", builds["new_title"]),
        ("key-added", w("study.toml", "paths.templates"), "", "templates"),
        ("lines", w(f"Template {builds['template'].name}", f"line {line}"),
         template[line - 1].replace(edited, builds["run"]), template[line - 1]),
    ]


def n_pct(n: int, total: int) -> str:
    """'n (pct)' as the tables print it: percentage of N, one decimal, half up (SAS)."""
    pct = (Decimal(100 * n) / Decimal(total)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"{n} ({pct})"


def test_demographics_cells_recomputed_from_the_data(builds, report):
    """Exactly the cells whose counts moved, with old and new values counted with pandas."""
    study = load_study(DEMO_STUDY)
    variables = {v["var"]: v for v in study.output("14.1.3").params["variables"]}
    old = pd.read_parquet(DEMO_STUDY.parent / "data/adsl.parquet")
    new = pd.read_parquet(builds["study"] / "data/adsl.parquet")
    arms = {"Placebo": "Placebo", "IL-2LD": "IL-2LD", None: "Total"}
    expected = set()
    for var in ("SEX", "DIAGCAT"):
        config = variables[var]
        for level in config["levels"]:
            for arm, label in arms.items():
                counts = []
                for frame in (old, new):
                    itt = frame[frame.ITTFL == "Y"]
                    if arm:
                        itt = itt[itt.TRT01P.eq(arm)]
                    counts.append((int((itt[var] == level).sum()), len(itt)))
                if counts[0] != counts[1]:
                    display = config.get("display", {}).get(level, level)
                    expected.add((f"{config['label']} > {display}",
                                  f"{label} (N={counts[1][1]})",
                                  n_pct(*counts[0]), n_pct(*counts[1])))
    got = {(*c.location, c.old, c.new) for c in report.changes
           if c.artifact == "Table 14.1.3"}
    assert len(expected) == 8
    assert got == expected
    assert {c.category for c in report.changes if c.artifact == "Table 14.1.3"} == {"numbers"}


def test_one_serious_ae_record_changes_exactly_its_overview_cells(builds, report):
    if "14.3.1.1" not in load_pair(builds["old"], builds["same"]).old.tables:
        pytest.skip("the demo has no adverse event overview table (14.3.1.1)")
    adsl = pd.read_parquet(builds["study"] / "data/adsl.parquet")
    saf = adsl[adsl.SAFFL == "Y"]
    arm = saf.loc[saf.USUBJID.eq(builds["ae_subject"]), "TRT01A"].iloc[0]
    expected = set()
    for name in ("adae",):
        old = pd.read_parquet(DEMO_STUDY.parent / f"data/{name}.parquet")
        new = pd.read_parquet(builds["study"] / f"data/{name}.parquet")
        for label, subset in ((arm, saf[saf.TRT01A.eq(arm)]), ("Total", saf)):
            n = []
            for frame in (old, new):
                hit = frame[(frame.TRTEMFL == "Y") & (frame.AESER == "Y")]
                n.append(hit.USUBJID[hit.USUBJID.isin(subset.USUBJID)].nunique())
            expected.add((f"{label} (N={len(subset)})", n_pct(n[0], len(subset)),
                          n_pct(n[1], len(subset))))
    changes = [c for c in report.changes if c.artifact == "Table 14.3.1.1"]
    assert {c.location[0] for c in changes} == {"Subjects with a serious TEAE"}
    assert {(c.location[1], c.old, c.new) for c in changes} == expected
    assert {c.category for c in changes} == {"numbers"}


def label_paths(rows: list[dict]) -> list[str]:
    """'Group > Row' for each row: the labels above it with a smaller indent, then its own;
    the n-th repeat of a path (a subject's second record in a listing) gets ' #n'."""
    out, stack, seen = [], [], {}
    for row in rows:
        while stack and stack[-1][0] >= row["indent"]:
            stack.pop()
        stack.append((row["indent"], row["label"]))
        path = " > ".join(label for _, label in stack)
        seen[path] = seen.get(path, 0) + 1
        out.append(path if seen[path] == 1 else f"{path} #{seen[path]}")
    return out


def test_every_cell_and_row_that_differs_is_reported_and_no_other(pair, report):
    """Checked against the table models row by row (rows matched by label path), and against
    the results: a reported number names a results key whose value changed, or is a listing
    cell (data, no key) of a table whose results hold a listing."""
    expected = set()
    for table_id, old in pair.old.tables.items():
        new, artifact = pair.new.tables[table_id], f"Table {table_id}"
        old_rows = dict(zip(label_paths(old["rows"]), old["rows"], strict=True))
        new_rows = dict(zip(label_paths(new["rows"]), new["rows"], strict=True))
        expected |= {(artifact, "row-removed", p) for p in old_rows if p not in new_rows}
        expected |= {(artifact, "row-added", p) for p in new_rows if p not in old_rows}
        for path in [p for p in new_rows if p in old_rows]:
            cells = zip(new["columns"], old_rows[path]["cells"], new_rows[path]["cells"],
                        strict=True)
            expected |= {(artifact, "cell", f"{path} | {c['label']}", x, y)
                         for c, x, y in cells if x != y}
    reported = {(c.artifact, c.kind, c.location[0]) if c.kind.startswith("row-") else
                (c.artifact, c.kind, f"{c.location[0]} | {c.location[1].rsplit(' (N=', 1)[0]}",
                 c.old, c.new)
                for c in report.changes if c.artifact.startswith("Table ")
                and c.kind in ("cell", "row-added", "row-removed")}
    assert reported == expected
    values = [{f"{k}:{r['key']}": r["value"] for k, p in build.results.items()
               for r in p["records"]} for build in (pair.old, pair.new)]
    for change in of(report, "numbers"):
        if change.refs:
            assert any(values[0].get(r) != values[1].get(r) for r in change.refs), change.where
        else:  # a listing shows data, not statistics
            analysis = "t_" + change.artifact.removeprefix("Table ").replace(".", "_")
            assert change.kind == "cell" and "listing" in pair.new.results[analysis]


def _documents_with(documents, text: str) -> set[str]:
    """The documents (id -> structure JSON) whose blocks show `text`."""
    return {d for d, model in documents.items()
            if any(text in b.get("text", "") for b in model["blocks"]
                   if b.get("kind") not in ("table", "figure"))}  # prose, not captions


def pairs_new_documents(folder):
    from submission_kit.diff.load import load_build

    return load_build(folder).documents


def test_document_changes_by_category(builds, pair, report):
    doc = "Document fda-meeting-package"
    blocks = pair.new.documents["fda-meeting-package"]["blocks"]
    male = next(b for b in blocks if "of subjects were male" in b.get("text", ""))
    adsl = {name: pd.read_parquet(path / "data/adsl.parquet")
            for name, path in (("old", DEMO_STUDY.parent), ("new", builds["study"]))}
    pct = {name: n_pct(int((f[f.ITTFL == "Y"].SEX == "M").sum()),
                       int((f.ITTFL == "Y").sum())).split("(")[1].rstrip(")")
           for name, f in adsl.items()}
    numbers = [c for c in of(report, "numbers", doc)
               if c.location == (male["section"], f"paragraph {male['index']}")]
    assert len(numbers) == 1
    assert "t_14_1_3:SEX.TOTAL.M.pct" in numbers[0].refs
    assert [op for op in numbers[0].words if op[0] != "equal"] == [
        ("delete", f"{pct['old']}% "), ("insert", f"{pct['new']}% ")]
    # The edited sentence comes from a macro both documents use, in several places (each
    # cites the subgroup result more than once); every text change is that edit.
    texts = of(report, "text")
    edited = _documents_with(pair.new.documents, EDIT)  # every document using the macro
    assert {"ema-scientific-advice", "fda-meeting-package"} <= edited
    assert {c.artifact for c in texts} == {f"Document {d}" for d in edited}
    assert all(EDIT in "".join(op[1] for op in c.words if op[0] == "insert") for c in texts)
    block = builds["block"]
    where = (block["section"], f"paragraph {block['index']}")
    (text,) = [c for c in texts if c.artifact == doc and c.location == where]
    assert [op for op in text.words if op[0] == "insert" and EDIT in op[1]] == [
        ("insert", f"{EDIT} ")]
    titles = {(c.artifact, c.kind, c.old, c.new) for c in of(report, "titles-footnotes")}
    # The table's title, and its caption in each document that places it.
    placing = {d: [b for b in m["blocks"] if b.get("ref") == "14.2.1" and b["kind"] == "table"]
               for d, m in pair.new.documents.items()}
    placing = {d: found for d, found in placing.items() if found}
    assert {"fda-meeting-package", "ema-scientific-advice"} <= set(placing)
    old, new = builds["old_title"], builds["new_title"]
    assert titles == {("Table 14.2.1", "title", old, new)} | {
        (f"Document {d}", "caption", b["text"].replace(new, old), b["text"])
        for d, found in placing.items() for b in found}
    # Structure changes only in tables (listing rows that came or went, checked above); the
    # KM figure reads ADTTE, which did not change; no rendered file changed on its own.
    assert {c.kind for c in of(report, "structure")} <= {"row-added", "row-removed"}
    assert [c for c in report.changes if c.artifact == "Figure 14.2.1"] == []
    assert of(report, "pagination-only") == []
    assert report.documents == tuple(sorted(pair.new.documents))


def test_a_row_added_to_a_built_table_is_one_structure_change(pair):
    table = json.loads(json.dumps(pair.old.tables["14.1.3"]))
    at = next(i for i, r in enumerate(table["rows"]) if r["label"] == "Female")
    row = dict(table["rows"][at], label="Unknown", cells=["0", "0", "0"], keys=[])
    table["rows"].insert(at + 1, row)
    from dataclasses import replace

    from submission_kit.diff.load import Pair

    new = replace(pair.old, tables={**pair.old.tables, "14.1.3": table})
    (change,) = compare(Pair(pair.old, new)).changes
    assert (change.category, change.kind, change.location) == (
        "structure", "row-added", ("Sex, n (%) > Unknown",))


def test_cli_exit_codes_and_reports(builds, tmp_path):
    out = tmp_path / "reports"
    code, printed = run(builds["old"], builds["new"], "--html", out / "diff.html",
                        "--json", out / "diff.json", "--redline", out / "redline")
    assert code == 1
    data = json.loads((out / "diff.json").read_text())
    # The console lists the first changes; the reports hold them all.
    assert f"{len(data['changes'])} changes: " in printed
    assert any(c["artifact"] == "Table 14.1.3" and "Sex, n (%) > Male" in c["where"]
               for c in data["changes"])
    texts = [c for c in data["changes"] if c["category"] == "text"]
    assert data["summary"]["by_category"]["text"] == len(texts)
    edited = _documents_with(pairs_new_documents(builds["new"]), EDIT)
    assert {c["artifact"] for c in texts} == {f"Document {d}" for d in edited}
    assert {"ema-scientific-advice", "fda-meeting-package"} <= edited
    changed = {c["artifact"].removeprefix("Document ") for c in data["changes"]
               if c["artifact"].startswith("Document ")}
    assert sorted(p.name for p in (out / "redline").iterdir()) == sorted(
        f"{d}-redline.docx" for d in changed)  # one redline per changed document
    assert [c["id"] for c in data["changes"]] == [f"c{i}" for i in
                                                  range(1, len(data["changes"]) + 1)]
    assert run(builds["old"], builds["new"], "--fail-on", "pagination-only")[0] == 0
    # one placebo male made female moves the forest plot's Sex rows: a figure change
    assert run(builds["old"], builds["new"], "--fail-on", "figures")[0] == 1
    assert run(builds["old"], builds["new"], "--fail-on", "numbers")[0] == 1
    # The template edit is the only text change (in both documents): ignored by its words.
    assert run(builds["old"], builds["new"], "--fail-on", "text")[0] == 1
    assert run(builds["old"], builds["new"], "--fail-on", "text", "--ignore", EDIT)[0] == 0


def test_reports_never_go_inside_a_build_and_bad_input_is_refused(builds):
    from submission_kit.errors import UserError

    with pytest.raises(UserError, match="inside a build folder"):
        run(builds["old"], builds["new"], "--html", builds["new"] / "diff.html")
    with pytest.raises(UserError, match="not a valid regular expression"):
        run(builds["old"], builds["new"], "--ignore", "(")
    with pytest.raises(UserError, match=f"{builds['study']}: not a submission-kit build"):
        run(builds["old"], builds["study"])


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.urls += [v or "" for k, v in attrs if k in ("src", "href", "action", "data")]


def test_html_is_self_contained_with_counts_at_the_top(report):
    html = as_html(report)
    parser = _Refs()
    parser.feed(html)
    assert {"script", "link", "iframe", "object"}.isdisjoint(parser.tags)
    assert parser.urls and all(u.startswith(("#", "data:image/png;base64,"))
                               for u in parser.urls)
    assert not re.search(r"(https?|file|ftp):|@import|url\(", html)
    counts = report.counts()
    summary = html[html.index('id="summary"'):html.index('id="cat-inputs"')]
    for category, label in (("inputs", "Inputs"), ("numbers", "Numbers"), ("text", "Text"),
                            ("titles-footnotes", "Titles/footnotes")):
        assert re.search(rf">{re.escape(label)}</a></td><td class=\"num\">{counts[category]}<",
                         summary)
    assert f"{len(report.changes)} change(s)." in summary
    assert report.old.manifest_sha256 in html and report.new.manifest_sha256 in html
    assert "2021-09-30" in html and f"submission-kit {report.new.tool_version}" in html


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_html_renders_offline_in_headless_chromium(report, tmp_path):
    page = tmp_path / "diff.html"
    page.write_text(as_html(report), encoding="utf-8")
    shot = tmp_path / "shot.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", f"--user-data-dir={tmp_path}/profile",
                    "--window-size=1400,1600", f"--screenshot={shot}", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == (1400, 1600)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16) or []
    assert len(colours) > 50  # text, badges and highlights drawn, not a blank page


def redline_xml(pair, report) -> etree._Element:
    data = as_redlines(pair, report)["fda-meeting-package-redline.docx"]
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return etree.fromstring(package.read("word/document.xml"))


def test_redline_has_tracked_changes_with_the_expected_text(pair, report):
    root = redline_xml(pair, report)
    deleted = ["".join(e.itertext()) for e in root.iter(f"{W}del") if len(e)]
    inserted = ["".join(e.itertext()) for e in root.iter(f"{W}ins") if len(e)]
    marks = [*root.iter(f"{W}del"), *root.iter(f"{W}ins")]
    assert {m.get(f"{W}author") for m in marks} == {AUTHOR}
    assert {m.get(f"{W}date") for m in marks} == {"2021-09-30T00:00:00Z"}
    for change in report.changes:
        # The numbers this redline (the meeting package's) quotes, and the table they are in.
        quoted = (change.category == "numbers"
                  and change.artifact == "Document fda-meeting-package")
        if change.artifact == "Table 14.1.3" or quoted:
            gone = [t for tag, t in change.words if tag == "delete"]
            came = [t for tag, t in change.words if tag == "insert"]
            assert all(t in deleted for t in gone) and all(t in inserted for t in came)
    assert inserted.count(f"{EDIT} ") == 2  # in the template sentence and the table caption
    assert as_redlines(pair, report) == as_redlines(pair, report)  # byte-reproducible


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_redline_opens_in_libreoffice_showing_its_tracked_changes(builds, pair, report,
                                                                   tmp_path):
    """LibreOffice prints tracked changes in place: the deleted value (struck through) next to
    the inserted one. Had it dropped the w:del runs, the old value would be missing."""
    source = tmp_path / "fda-meeting-package-redline.docx"
    source.write_bytes(as_redlines(pair, report)[source.name])
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=180)
    from pypdf import PdfReader

    pages = PdfReader(tmp_path / "fda-meeting-package-redline.pdf").pages
    text = " ".join(" ".join(page.extract_text().split()) for page in pages)
    (male,) = [c for c in of(report, "numbers", "Document fda-meeting-package")
               if "of subjects were male" in c.new]
    gone, came = (next(t for tag, t in male.words if tag == kind).strip()
                  for kind in ("delete", "insert"))
    assert f"{gone} {came} of subjects were male" in text
    assert " ".join(with_edit(builds["run"]).split()) in text  # the inserted word, in place
