"""The diff as one self-contained HTML page: it opens offline, from a mail attachment or a
network share, with no script, font, stylesheet or image fetched from anywhere (figures are
embedded as data: URIs).

Top down, as a reviewer reads: both builds identified (manifest hash, tool version, data
cutoff), counts by category, what changed in the inputs, then every change grouped by category
and artifact. A sticky list on the left links to each change. Text shows side by side (old |
new) or inline, switched by two radio buttons and CSS alone, with words deleted, inserted and
moved highlighted.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape

from submission_kit.diff.changes import CATEGORIES, LABELS, SEP, Change
from submission_kit.diff.compare import DiffReport, Identity

SHOWN_PER_ARTIFACT = 200  # rows of one dataset shown; the JSON report has them all
LISTED_PER_CATEGORY = 300  # links in the side list

_CSS = """
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 "Liberation Sans",Arial,sans-serif;color:#1b1b1b;background:#fafafa}
.layout{display:flex;align-items:flex-start}
nav{position:sticky;top:0;width:22rem;max-height:100vh;overflow:auto;padding:1rem;
 background:#f0f2f5;border-right:1px solid #d5d9e0;font-size:12.5px}
nav ol{padding-left:1.4rem;margin:.2rem 0 .6rem}
nav a{color:#1a4d8f;text-decoration:none}
nav summary{font-weight:bold;cursor:pointer;margin-top:.4rem}
main{flex:1;padding:1rem 2rem 4rem;max-width:80rem}
h1{font-size:1.5rem;margin:.2rem 0 1rem}
h2{font-size:1.2rem;border-bottom:2px solid #1a4d8f;padding-bottom:.2rem;margin-top:2rem}
h3{font-size:1rem;margin:1.4rem 0 .4rem;color:#1a4d8f}
table.grid{border-collapse:collapse;margin:.4rem 0}
table.grid th,table.grid td{border:1px solid #c9ced6;padding:.25rem .6rem;text-align:left;
 vertical-align:top}
table.grid th{background:#e8ebf0}
td.num{text-align:right;font-variant-numeric:tabular-nums}
code,.mono{font-family:"Liberation Mono",monospace;font-size:12px;word-break:break-all}
.zero{color:#8a8f98}
.total{font-weight:bold}
.change{background:#fff;border:1px solid #d5d9e0;border-left:4px solid #1a4d8f;
 margin:.5rem 0;padding:.5rem .8rem}
.change:target{outline:3px solid #f2b705}
.where{font-weight:bold;margin-bottom:.3rem}
.where a{color:#8a8f98;font-weight:normal;margin-right:.4rem}
.badge{display:inline-block;font-size:11px;font-weight:bold;padding:0 .4rem;border-radius:3px;
 background:#1a4d8f;color:#fff;margin-right:.4rem;vertical-align:1px}
.cat-inputs{border-left-color:#6b4fa0}.cat-inputs .badge{background:#6b4fa0}
.cat-numbers{border-left-color:#b3261e}.cat-numbers .badge{background:#b3261e}
.cat-text{border-left-color:#1a4d8f}
.cat-titles-footnotes{border-left-color:#00695c}.cat-titles-footnotes .badge{background:#00695c}
.cat-structure{border-left-color:#a15c00}.cat-structure .badge{background:#a15c00}
.cat-figures{border-left-color:#2e7d32}.cat-figures .badge{background:#2e7d32}
.cat-pagination-only{border-left-color:#8a8f98}.cat-pagination-only .badge{background:#8a8f98}
.side{display:grid;grid-template-columns:1fr 1fr;gap:.6rem}
.side>div,.inline{white-space:pre-wrap;padding:.3rem .5rem;border-radius:3px;
 background:#f6f7f9;overflow-wrap:anywhere}
.side .label{display:block;font-size:11px;color:#5f6670;white-space:normal}
del{background:#ffd7d5;color:#8e1b14;text-decoration:line-through}
ins{background:#d3f5d6;color:#0d5415;text-decoration:none;border-bottom:1px solid #0d5415}
del.move,ins.move{background:#e6defa;color:#4a2c8a;border-bottom:1px dashed #4a2c8a}
.detail,.refs{color:#5f6670;font-size:12.5px;margin:.3rem 0 0}
.figs{display:grid;grid-template-columns:1fr 1fr;gap:.8rem}
.figs figure{margin:0;background:#fff;border:1px solid #d5d9e0;padding:.4rem}
.figs img{max-width:100%;height:auto;display:block}
.figs figcaption{font-weight:bold;font-size:12px;margin-bottom:.3rem}
.toggle{display:inline-block;margin-left:1rem}
.toggle label{border:1px solid #1a4d8f;padding:.15rem .6rem;cursor:pointer;color:#1a4d8f}
.view{position:absolute;opacity:0}
#view-side:checked~.layout label[for=view-side],
#view-inline:checked~.layout label[for=view-inline]{background:#1a4d8f;color:#fff}
#view-side:checked~.layout .inline{display:none}
#view-inline:checked~.layout .side{display:none}
.notes li{margin:.2rem 0}
.more{color:#5f6670;font-style:italic}
"""


def as_html(report: DiffReport) -> str:
    body = [_header(report), _summary(report), _inputs(report)]
    for category in CATEGORIES[1:]:
        changes = _numbered(report, category)
        if changes:
            body.append(_category(category, changes, report))
    body.append(_notes(report))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>submission-kit diff: {escape(report.new.study)}</title>"
            f"<style>{_CSS}</style></head><body>"
            '<input type="radio" name="view" id="view-side" class="view" checked>'
            '<input type="radio" name="view" id="view-inline" class="view">'
            f'<div class="layout">{_nav(report)}<main>{"".join(body)}</main></div>'
            "</body></html>\n")


def _numbered(report: DiffReport, category: str) -> list[tuple[int, Change]]:
    return [(i, c) for i, c in enumerate(report.changes, start=1) if c.category == category]


def _by_artifact(changes: Sequence[tuple[int, Change]]) -> dict[str, list[tuple[int, Change]]]:
    groups: dict[str, list[tuple[int, Change]]] = {}
    for number, change in changes:
        groups.setdefault(change.artifact, []).append((number, change))
    return groups


# --- top of the page ---

def _header(report: DiffReport) -> str:
    rows = "".join(_identity_row(name, ident) for name, ident in
                   (("Old", report.old), ("New", report.new)))
    return ("<header><h1>Comparison of two builds</h1><table class=\"grid\"><tr><th></th>"
            "<th>Folder</th><th>Study</th><th>Manifest sha256</th><th>Tool version</th>"
            f"<th>Data cutoff</th></tr>{rows}</table></header>")


def _identity_row(name: str, ident: Identity) -> str:
    return (f"<tr><th>{name}</th><td class=\"mono\">{escape(ident.folder)}</td>"
            f"<td>{escape(ident.study)}</td><td class=\"mono\">{escape(ident.manifest_sha256)}"
            f"</td><td>submission-kit {escape(ident.tool_version)}</td>"
            f"<td>{escape(ident.data_cutoff)}</td></tr>")


def _summary(report: DiffReport) -> str:
    counts = report.counts()
    rows = "".join(
        f"<tr><td><a href=\"#cat-{c}\">{LABELS[c]}</a></td>"
        f"<td class=\"num\">{counts[c]}</td></tr>"
        if counts[c] else
        f"<tr><td class=\"zero\">{LABELS[c]}</td><td class=\"num zero\">0</td></tr>"
        for c in CATEGORIES)
    ignored = (f"<p>{len(report.ignored)} further change(s) matched an ignore rule and are not "
               "listed.</p>" if report.ignored else "")
    verdict = "No differences." if not report.changes else f"{len(report.changes)} change(s)."
    return ("<section id=\"summary\"><h2>Summary<span class=\"toggle\">"
            "<label for=\"view-side\">Side by side</label>"
            "<label for=\"view-inline\">Inline</label></span></h2>"
            f"<p class=\"total\">{verdict}</p><table class=\"grid\"><tr><th>Category</th>"
            f"<th>Changes</th></tr>{rows}<tr class=\"total\"><td>Total</td><td class=\"num\">"
            f"{len(report.changes)}</td></tr></table>{ignored}</section>")


def _nav(report: DiffReport) -> str:
    parts = ["<nav><strong>Changes</strong>"]
    for category in CATEGORIES:
        changes = _numbered(report, category)
        if not changes:
            continue
        if category == "inputs":  # one link per input: a dataset can hold thousands of rows
            items = [f"<li><a href=\"#{_anchor(a)}\">{escape(a)}</a> ({len(g)})</li>"
                     for a, g in _by_artifact(changes).items()]
        else:
            items = [f"<li value=\"{n}\"><a href=\"#c{n}\">{escape(c.where)}</a></li>"
                     for n, c in changes[:LISTED_PER_CATEGORY]]
            if len(changes) > LISTED_PER_CATEGORY:
                items.append(f"<li class=\"more\">{len(changes) - LISTED_PER_CATEGORY} more"
                             "</li>")
        tag = "ul" if category == "inputs" else "ol"  # ol items carry the change numbers
        parts.append(f"<details open><summary>{LABELS[category]} ({len(changes)})</summary>"
                     f"<{tag}>{''.join(items)}</{tag}>")
    return "".join(parts) + "</nav>"


def _anchor(artifact: str) -> str:
    return "a-" + "".join(ch if ch.isalnum() else "-" for ch in artifact.lower())


# --- inputs ---

def _inputs(report: DiffReport) -> str:
    changes = _numbered(report, "inputs")
    if not changes:
        return ("<section id=\"cat-inputs\"><h2>What changed in the inputs</h2>"
                "<p>Nothing: same tool, library versions, datasets and study files.</p>"
                "</section>")
    groups = _by_artifact(changes)
    datasets = {a: g for a, g in groups.items() if a.startswith("Dataset ")}
    table = _dataset_table(datasets) if datasets else ""
    sections = "".join(_artifact_section(a, g, SHOWN_PER_ARTIFACT, report)
                       for a, g in groups.items())
    return (f"<section id=\"cat-inputs\"><h2>What changed in the inputs</h2>{table}{sections}"
            "</section>")


def _dataset_table(groups: dict[str, list[tuple[int, Change]]]) -> str:
    rows = []
    for artifact, changes in groups.items():
        kinds = [c.kind for _, c in changes]
        counts = [kinds.count(k) for k in ("row-added", "row-removed", "row-changed")]
        other = ", ".join(sorted({k for k in kinds if not k.startswith("row-")}))
        cells = "".join(f"<td class=\"num\">{n}</td>" for n in counts)
        rows.append(f"<tr><td><a href=\"#{_anchor(artifact)}\">{escape(artifact)}</a></td>"
                    f"{cells}<td>{escape(other)}</td></tr>")
    return ("<table class=\"grid\"><tr><th>Dataset</th><th>Rows added</th><th>Rows removed"
            "</th><th>Rows changed</th><th>Other</th></tr>" + "".join(rows) + "</table>")


# --- changes ---

def _category(category: str, changes: Sequence[tuple[int, Change]], report: DiffReport
              ) -> str:
    sections = "".join(_artifact_section(a, g, None, report)
                       for a, g in _by_artifact(changes).items())
    return f"<section id=\"cat-{category}\"><h2>{LABELS[category]}</h2>{sections}</section>"


def _artifact_section(artifact: str, changes: Sequence[tuple[int, Change]], limit: int | None,
                      report: DiffReport) -> str:
    shown = changes if limit is None else changes[:limit]
    more = (f"<p class=\"more\">{len(changes) - len(shown)} more change(s) in {escape(artifact)}"
            " are in the JSON report.</p>" if len(shown) < len(changes) else "")
    items = "".join(_change(n, c, report) for n, c in shown)
    anchor = _anchor(artifact) if changes[0][1].category == "inputs" else ""
    head = f"<h3 id=\"{anchor}\">" if anchor else "<h3>"
    return f"{head}{escape(artifact)}</h3>{items}{more}"


def _change(number: int, change: Change, report: DiffReport) -> str:
    where = escape(SEP.join(change.location) or change.artifact)
    kind = escape(change.kind.replace("-", " "))
    body = _images(change, report) if change.category == "figures" or (
        change.artifact in report.images and change.kind.startswith("figure-")) else _texts(change)
    detail = f"<p class=\"detail\">{escape(change.detail)}</p>" if change.detail else ""
    refs = ("<p class=\"refs\">Results: " + ", ".join(f"<code>{escape(r)}</code>"
                                                       for r in change.refs) + "</p>"
            if change.refs else "")
    return (f"<article class=\"change cat-{change.category}\" id=\"c{number}\">"
            f"<div class=\"where\"><a href=\"#c{number}\">#{number}</a><span class=\"badge\">"
            f"{LABELS[change.category]}</span>{where} <span class=\"detail\">({kind})</span>"
            f"</div>{body}{detail}{refs}</article>")


def _texts(change: Change) -> str:
    ops = change.words or [op for op in (("delete", change.old), ("insert", change.new))
                           if op[1]]
    old = "".join(_op(tag, text) for tag, text in ops if tag in ("equal", "delete", "move-from"))
    new = "".join(_op(tag, text) for tag, text in ops if tag in ("equal", "insert", "move-to"))
    inline = "".join(_op(tag, text) + _gap(text, ops[k + 1:k + 2])
                     for k, (tag, text) in enumerate(ops))
    return (f"<div class=\"side\"><div><span class=\"label\">Old</span>{old or '—'}</div>"
            f"<div><span class=\"label\">New</span>{new or '—'}</div></div>"
            f"<div class=\"inline\">{inline or '—'}</div>")


def _gap(text: str, following: Sequence[tuple[str, str]]) -> str:
    """A space between a deleted and an inserted value that would otherwise touch
    ("74 (67.3) 73 (66.4)", not "74 (67.3)73 (66.4)"); it is not part of either text."""
    touching = following and following[0][0] != "equal" and text and not text[-1].isspace() \
        and following[0][1] and not following[0][1][0].isspace()
    return " " if touching else ""


def _op(tag: str, text: str) -> str:
    text = escape(text)
    if tag == "equal":
        return text
    element = "del" if tag in ("delete", "move-from") else "ins"
    moved = ' class="move" title="moved"' if tag.startswith("move") else ""
    body = text.rstrip()  # the space after the last word is not part of the edit
    return f"<{element}{moved}>{body}</{element}>{text[len(body):]}"


def _images(change: Change, report: DiffReport) -> str:
    old, new = report.images.get(change.artifact, (None, None))
    return ("<div class=\"figs\">" + _figure("Old", old) + _figure("New", new) + "</div>"
            + _texts(change))


def _figure(label: str, png: bytes | None) -> str:
    if png is None:
        return f"<figure><figcaption>{label}</figcaption><p>(none)</p></figure>"
    data = base64.b64encode(png).decode("ascii")
    return (f"<figure><figcaption>{label}</figcaption>"
            f"<img alt=\"{label} figure\" src=\"data:image/png;base64,{data}\"></figure>")


def _notes(report: DiffReport) -> str:
    if not report.notes:
        return ""
    items = "".join(f"<li>{escape(n)}</li>" for n in report.notes)
    return f"<section id=\"notes\"><h2>Notes</h2><ul class=\"notes\">{items}</ul></section>"
