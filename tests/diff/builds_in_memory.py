"""Small builds made in memory for the pure comparison and redline tests (a helper module,
imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from submission_kit.diff.load import Build

MANIFEST: dict[str, Any] = {
    "tool": {"name": "submission-kit", "version": "0.1.0"},
    "study": {"id": "S", "data_cutoff": "2021-09-30",
              "config": {"file": "study.toml", "sha256": "c" * 64}},
    "inputs": [], "outputs": [], "environment": {"python": "3.11.7"},
}

TABLE: dict[str, Any] = {
    "id": "14.3.1.2",
    "title": ["Table 14.3.1.2", "Adverse Events", "Safety Population"],
    "columns": [{"key": "PBO", "label": "Placebo", "n": 110},
                {"key": "IL2", "label": "IL-2LD", "n": 110}],
    "rows": [
        {"label": "Any TEAE", "indent": 0, "cells": ["90 (81.8)", "95 (86.4)"],
         "keys": ["t:any.PBO.n", "t:any.IL2.n"]},
        {"label": "General disorders", "indent": 0, "cells": ["30 (27.3)", "40 (36.4)"],
         "keys": ["t:soc.GEN.PBO.n", "t:soc.GEN.IL2.n"]},
        {"label": "Injection site reaction", "indent": 1, "cells": ["5 (4.5)", "12 (10.9)"],
         "keys": ["t:soc.GEN.pt.ISR.PBO.n", "t:soc.GEN.pt.ISR.IL2.n"]},
        {"label": "Pyrexia", "indent": 1, "cells": ["3 (2.7)", "4 (3.6)"],
         "keys": ["t:soc.GEN.pt.PYR.PBO.n", "t:soc.GEN.pt.PYR.IL2.n"]},
    ],
    "footnotes": ["TEAE = treatment-emergent adverse event.", "Coded with MedDRA 24.0."],
    "source": "ADAE; program t_14_3_1_2.py", "stub_header": "", "orientation": "portrait",
    "population": "Safety Population",
}

DOCUMENT: dict[str, Any] = {
    "document": "csr", "title": "Clinical Study Report", "subtitle": "",
    "title_lines": ["Sponsor: Demo", "Version: 1.0", "Data cutoff: 30 September 2021"],
    "blocks": [
        {"section": "1 Safety", "index": 1, "kind": "heading", "level": 1, "text": "1 Safety"},
        {"section": "1 Safety", "index": 2, "kind": "paragraph",
         "text": "Injection site reactions were reported by 12 (10.9%) subjects on IL-2LD."},
        {"section": "1 Safety", "index": 3, "kind": "paragraph",
         "text": "No new safety signal was identified. Most events were mild."},
        {"section": "1 Safety", "index": 4, "kind": "table", "ref": "14.3.1.2",
         "text": "Table 1: Adverse Events (Table 14.3.1.2)"},
        {"section": "2 Conclusions", "index": 1, "kind": "heading", "level": 1,
         "text": "2 Conclusions"},
        {"section": "2 Conclusions", "index": 2, "kind": "paragraph",
         "text": "IL-2LD was well tolerated."},
    ],
}

TRACE: dict[str, Any] = {"document": "csr", "numbers": [
    {"ref": "t:soc.GEN.pt.ISR.IL2.n", "text": "12"},
    {"ref": "t:soc.GEN.pt.ISR.IL2.pct", "text": "10.9%"},
]}


def make_build(root: str = "/builds/old", **parts: Any) -> Build:
    fields: dict[str, Any] = {"tables": {}, "results": {}, "documents": {}, "traces": {},
                              "figures": {}, "outputs": {}, "manifest": MANIFEST}
    fields.update(parts)
    return Build(root=Path(root), manifest_sha256="0" * 64, **fields)


def standard_build(root: str = "/builds/old") -> Build:
    return make_build(root, tables={"14.3.1.2": copy.deepcopy(TABLE)},
                      documents={"csr": copy.deepcopy(DOCUMENT)},
                      traces={"csr": copy.deepcopy(TRACE)},
                      outputs={"deliverables/documents/csr.pdf": "a" * 64,
                               "deliverables/tables/t-14-3-1-2.pdf": "b" * 64})
