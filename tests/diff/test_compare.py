"""The comparison core on small builds made in memory: one edit in, exactly one change out,
classified and located as a reviewer would look for it."""

from __future__ import annotations

import copy
from dataclasses import replace

from builds_in_memory import MANIFEST, TABLE, make_build, standard_build

from submission_kit.diff.changes import DATE_LINES, SEP, ignore_rule
from submission_kit.diff.compare import compare
from submission_kit.diff.load import Pair


def w(*parts):
    """A location as the report prints it: parts joined by SEP."""
    return SEP.join(parts)


def changes_of(old, new, rules=()):
    return compare(Pair(old, new), rules).changes


def summary(changes):
    return [(c.category, c.kind, c.where, c.old, c.new) for c in changes]


def with_table(build, **edits):
    table = copy.deepcopy(TABLE)
    table.update(edits)
    return replace(build, tables={"14.3.1.2": table})


def test_identical_builds_have_no_changes():
    report = compare(Pair(standard_build(), standard_build("/builds/new")))
    assert report.changes == ()
    assert report.exit_code() == 0


def test_a_changed_cell_is_a_number_located_by_row_path_and_column():
    table = copy.deepcopy(TABLE)
    table["rows"][2]["cells"][1] = "13 (11.8)"
    old = standard_build()
    new = replace(standard_build("/n"), tables={"14.3.1.2": table},
                  results={"t": {"analysis": "t", "records": [
                      {"key": "soc.GEN.pt.ISR.IL2.n", "value": 13}]}})
    old = replace(old, results={"t": {"analysis": "t", "records": [
        {"key": "soc.GEN.pt.ISR.IL2.n", "value": 12}]}})
    report = compare(Pair(old, new))
    (change,) = [c for c in report.changes if c.artifact == "Table 14.3.1.2"]
    assert (change.category, change.kind) == ("numbers", "cell")
    assert change.location == ("General disorders > Injection site reaction", "IL-2LD (N=110)")
    assert (change.old, change.new) == ("12 (10.9)", "13 (11.8)")
    assert change.refs == ("t:soc.GEN.pt.ISR.IL2.n",)
    assert change.detail == "value in the results: 12 → 13"
    assert change.summary() == w("Table 14.3.1.2", "General disorders > Injection site reaction",
                                 "IL-2LD (N=110): 12 (10.9) → 13 (11.8)")
    # The document holds the table, so its PDF changing is not "pagination only".
    assert [c.category for c in report.changes] == ["numbers"]
    assert report.documents == ("csr",)


def test_a_row_added_is_one_structure_change_and_rows_below_are_not_shifted():
    table = copy.deepcopy(TABLE)
    table["rows"].insert(2, {"label": "Fatigue", "indent": 1, "cells": ["7 (6.4)", "9 (8.2)"],
                             "keys": ["t:soc.GEN.pt.FAT.PBO.n", "t:soc.GEN.pt.FAT.IL2.n"]})
    new = replace(standard_build("/n"), tables={"14.3.1.2": table})
    assert summary(changes_of(standard_build(), new)) == [
        ("structure", "row-added", w("Table 14.3.1.2", "General disorders > Fatigue"), "",
         "Placebo (N=110): 7 (6.4); IL-2LD (N=110): 9 (8.2)")]


def test_rows_removed_moved_and_relabelled():
    table = copy.deepcopy(TABLE)
    rows = table["rows"]
    rows[2], rows[3] = rows[3], rows[2]  # Pyrexia now before Injection site reaction
    rows[0] = dict(rows[0], label="Any TEAE, n (%)")  # same keys: the same row, relabelled
    rows[1] = dict(rows[1], cells=["", ""])  # the group row no longer shows counts
    old = standard_build()
    new = replace(standard_build("/n"), tables={"14.3.1.2": table})
    got = summary(changes_of(old, new))
    assert ("text", "row-label", w("Table 14.3.1.2", "Any TEAE, n (%)"), "Any TEAE",
            "Any TEAE, n (%)") in got
    assert [k for _, k, *_ in got].count("row-moved") == 1
    assert [(g[2], g[3], g[4]) for g in got if g[1] == "cell"] == [
        (w("Table 14.3.1.2", "General disorders", "Placebo (N=110)"), "30 (27.3)", ""),
        (w("Table 14.3.1.2", "General disorders", "IL-2LD (N=110)"), "40 (36.4)", "")]


def test_columns_big_n_label_and_added():
    table = copy.deepcopy(TABLE)
    table["columns"] = [{"key": "PBO", "label": "Placebo", "n": 111},
                        {"key": "IL2", "label": "IL-2LD 2 MIU", "n": 110},
                        {"key": "TOTAL", "label": "Total", "n": 221}]
    new = replace(standard_build("/n"), tables={"14.3.1.2": table})
    assert summary(changes_of(standard_build(), new)) == [
        ("structure", "column-added", w("Table 14.3.1.2", "Total (N=221)"), "",
         "Total (N=221)"),
        ("numbers", "big-n", w("Table 14.3.1.2", "column header", "Placebo"), "N=110",
         "N=111"),
        ("titles-footnotes", "column-label",
         w("Table 14.3.1.2", "column header", "IL-2LD 2 MIU"),
         "IL-2LD", "IL-2LD 2 MIU"),
    ]


def test_titles_footnotes_and_source():
    new = with_table(standard_build("/n"),
                     title=["Table 14.3.1.2", "Treatment-Emergent Adverse Events",
                            "Safety Population"],
                     footnotes=["TEAE = treatment-emergent adverse event.",
                                "Percentages are based on N.", "Coded with MedDRA 24.0."],
                     source="ADSL, ADAE; program t_14_3_1_2.py")
    assert summary(changes_of(standard_build(), new)) == [
        ("titles-footnotes", "title", w("Table 14.3.1.2", "title line 2"), "Adverse Events",
         "Treatment-Emergent Adverse Events"),
        ("titles-footnotes", "footnote-added", w("Table 14.3.1.2", "footnote 2"), "",
         "Percentages are based on N."),
        ("titles-footnotes", "source", w("Table 14.3.1.2", "source"),
         "ADAE; program t_14_3_1_2.py", "ADSL, ADAE; program t_14_3_1_2.py"),
    ]


def document_with(build, blocks=None, title_lines=None, numbers=None):
    doc = copy.deepcopy(build.documents["csr"])
    if blocks is not None:
        doc["blocks"] = blocks
    if title_lines is not None:
        doc["title_lines"] = title_lines
    traces = build.traces
    if numbers is not None:
        traces = {"csr": {"document": "csr", "numbers": numbers}}
    return replace(build, documents={"csr": doc}, traces=traces)


def test_a_quoted_number_is_a_number_change_with_its_results_key():
    old = standard_build()
    blocks = copy.deepcopy(old.documents["csr"]["blocks"])
    blocks[1]["text"] = "Injection site reactions were reported by 13 (11.8%) subjects on IL-2LD."
    new = document_with(standard_build("/n"), blocks, numbers=[
        {"ref": "t:soc.GEN.pt.ISR.IL2.n", "text": "13"},
        {"ref": "t:soc.GEN.pt.ISR.IL2.pct", "text": "11.8%"}])
    (change,) = changes_of(old, new)
    assert (change.category, change.kind, change.location) == (
        "numbers", "paragraph", ("1 Safety", "paragraph 2"))
    assert change.refs == ("t:soc.GEN.pt.ISR.IL2.n", "t:soc.GEN.pt.ISR.IL2.pct")
    assert [op for op in change.words if op[0] != "equal"] == [
        ("delete", "12 (10.9%) "), ("insert", "13 (11.8%) ")]


def test_one_edited_sentence_is_one_text_change():
    old = standard_build()
    blocks = copy.deepcopy(old.documents["csr"]["blocks"])
    blocks[2]["text"] = "No new safety signal was identified. Most events were mild or moderate."
    (change,) = changes_of(old, document_with(standard_build("/n"), blocks))
    assert (change.category, change.where) == (
        "text", w("Document csr", "1 Safety", "paragraph 3"))
    assert [op for op in change.words if op[0] != "equal"] == [
        ("delete", "mild."), ("insert", "mild or moderate.")]


def test_a_section_inserted_is_structure_without_renumbering_noise():
    old = standard_build()
    blocks = copy.deepcopy(old.documents["csr"]["blocks"])
    conclusions = blocks[4:]
    for block in conclusions:
        block["section"] = "3 Conclusions"
    conclusions[0]["text"] = "3 Conclusions"
    new_blocks = [*blocks[:4],
                  {"section": "2 Efficacy", "index": 1, "kind": "heading", "level": 1,
                   "text": "2 Efficacy"},
                  {"section": "2 Efficacy", "index": 2, "kind": "paragraph",
                   "text": "Survival was similar between the arms."},
                  *conclusions]
    got = summary(changes_of(old, document_with(standard_build("/n"), new_blocks)))
    assert got == [
        ("structure", "heading-added", w("Document csr", "2 Efficacy", "heading 1"), "",
         "2 Efficacy"),
        ("structure", "paragraph-added", w("Document csr", "2 Efficacy", "paragraph 2"), "",
         "Survival was similar between the arms."),
    ]


def test_a_moved_paragraph_is_one_structure_change():
    old = standard_build()
    blocks = copy.deepcopy(old.documents["csr"]["blocks"])
    moved = blocks.pop(2)
    blocks.append(dict(moved, section="2 Conclusions", index=3))
    (change,) = changes_of(old, document_with(standard_build("/n"), blocks))
    assert (change.category, change.kind, change.where) == (
        "structure", "moved", w("Document csr", "2 Conclusions", "paragraph 3"))
    assert change.detail == w("moved from 1 Safety", "paragraph 3")


def test_ignore_rules():
    old = standard_build()
    new = document_with(standard_build("/n"), title_lines=[
        "Sponsor: Demo", "Version: 2.0", "Data cutoff: 31 March 2022"])
    plain = changes_of(old, new)
    assert [c.new for c in plain] == ["Version: 2.0", "Data cutoff: 31 March 2022"]
    report = compare(Pair(old, new), [DATE_LINES])
    assert report.changes == () and len(report.ignored) == 2
    assert report.exit_code() == 0
    only_version = compare(Pair(old, new), [ignore_rule("^Version")])
    assert [c.new for c in only_version.changes] == ["Data cutoff: 31 March 2022"]


def test_figures_pagination_and_fail_on():
    old = make_build(figures={"14.2.1": b"\x89PNG old"}, outputs={
        "deliverables/documents/csr.pdf": "a" * 64, "deliverables/figures/f-14-2-1.pdf": "f" * 64},
        documents={"csr": {"document": "csr", "title": "T", "blocks": []}},
        results={"f_14_2_1": {"analysis": "f_14_2_1", "output": "14.2.1", "title": "KM",
                              "records": [{"key": "at_risk.PBO.t80", "value": 106}]}})
    new = replace(old, root=old.root.with_name("new"), figures={"14.2.1": b"\x89PNG new"},
                  outputs={"deliverables/documents/csr.pdf": "b" * 64,
                           "deliverables/figures/f-14-2-1.pdf": "e" * 64},
                  results={"f_14_2_1": {"analysis": "f_14_2_1", "output": "14.2.1",
                                        "title": "KM", "records": [
                                            {"key": "at_risk.PBO.t80", "value": 105}]}})
    report = compare(Pair(old, new))
    assert [(c.category, c.where) for c in report.changes] == [
        ("figures", w("Figure 14.2.1", "records/figures/f-14-2-1.png")),
        ("pagination-only", w("Document csr", "deliverables/documents/csr.pdf")),
    ]
    assert report.changes[0].detail == "at_risk.PBO.t80: 106 → 105"
    assert report.images["Figure 14.2.1"] == (b"\x89PNG old", b"\x89PNG new")
    assert report.exit_code() == 1
    assert report.exit_code(["figures"]) == 1
    assert report.exit_code(["numbers", "text"]) == 0


def test_a_font_update_is_one_environment_line_per_font():
    fonts = {"Liberation Serif Regular": "LiberationSerif-Regular.ttf#0 version 137625, 9 bytes",
             "DejaVu Serif Book": "DejaVuSerif.ttf#0 version 155320, 7 bytes"}
    old = make_build(manifest={**MANIFEST, "environment": {"python": "3.11.7",
                                                           "fonts": fonts}})
    updated = {**fonts, "Liberation Serif Regular":
               "LiberationSerif-Regular.ttf#0 version 137626, 9 bytes"}
    new = make_build("/builds/new", manifest={**MANIFEST, "environment": {
        "python": "3.11.7", "fonts": updated}})
    changes = [c for c in changes_of(old, new) if c.kind == "environment"]
    assert [(c.location, c.old, c.new) for c in changes] == [
        (("fonts: Liberation Serif Regular",),
         "LiberationSerif-Regular.ttf#0 version 137625, 9 bytes",
         "LiberationSerif-Regular.ttf#0 version 137626, 9 bytes")]
