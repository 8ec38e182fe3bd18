"""The Word redline on small builds: whole paragraphs and table rows that came or went carry
the revision mark on the paragraph mark or the row, so accepting them leaves no empty line."""

from __future__ import annotations

import copy
import io
import zipfile
from dataclasses import replace

import docx
from builds_in_memory import standard_build
from lxml import etree

from submission_kit.diff.compare import compare
from submission_kit.diff.load import Pair
from submission_kit.diff.redline import AUTHOR, as_redlines

NS = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}


def redline(old, new) -> etree._Element:
    pair = Pair(old, new)
    files = as_redlines(pair, compare(pair))
    assert list(files) == ["csr-redline.docx"]
    data = files["csr-redline.docx"]
    docx.Document(io.BytesIO(data))  # python-docx opens it
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return etree.fromstring(package.read("word/document.xml"))


def text(element) -> str:
    return "".join(element.itertext())


def test_added_and_removed_paragraphs_and_rows_are_marked_whole():
    old = standard_build()
    doc = copy.deepcopy(old.documents["csr"])
    removed = doc["blocks"].pop(2)  # "No new safety signal ..."
    doc["blocks"].insert(1, {"section": "1 Safety", "index": 2, "kind": "paragraph",
                             "text": "A new opening paragraph."})
    table = copy.deepcopy(old.tables["14.3.1.2"])
    table["rows"].append({"label": "Rash", "indent": 1, "cells": ["1 (0.9)", "2 (1.8)"],
                          "keys": ["t:r.PBO", "t:r.IL2"]})
    new = replace(old, documents={"csr": doc}, tables={"14.3.1.2": table})
    root = redline(old, new)
    inserted_paragraphs = root.xpath("//w:p[w:pPr/w:rPr/w:ins]", namespaces=NS)
    deleted_paragraphs = root.xpath("//w:p[w:pPr/w:rPr/w:del]", namespaces=NS)
    assert [text(p) for p in inserted_paragraphs] == ["A new opening paragraph."]
    assert [text(p) for p in deleted_paragraphs] == [removed["text"]]
    (row,) = root.xpath("//w:tr[w:trPr/w:ins]", namespaces=NS)
    assert [text(c) for c in row.xpath("w:tc", namespaces=NS)] == ["Rash", "1 (0.9)", "2 (1.8)"]
    marks = root.xpath("//w:ins|//w:del", namespaces=NS)
    ids = [m.get(f"{{{NS['w']}}}id") for m in marks]
    assert len(ids) == len(set(ids))  # every revision has its own id
    assert {m.get(f"{{{NS['w']}}}author") for m in marks} == {AUTHOR}
    deleted_text = root.xpath("//w:delText", namespaces=NS)
    assert "".join(t.text for t in deleted_text) == removed["text"]
