"""scripts/extract_atorus_rtf.py reads an RTF table's cells as printed (the CSVs next to this
file are its output on the published Atorus CDISC pilot tables)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import atorus

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "extract_atorus_rtf.py"
spec = importlib.util.spec_from_file_location("extract_atorus_rtf", SCRIPT)
assert spec is not None and spec.loader is not None
extract = importlib.util.module_from_spec(spec)
spec.loader.exec_module(extract)

# Two rows as the published RTF writes them (header formatting, merged cells, an indented
# preferred term and its blank event cell), plus escapes the pilot tables do not use.
RTF = r"""{\rtf1\ansi
{
\trowd
\trqc \clbrdrt\clvertalb\clNoWrap\clpadfl0\clpadl80 \cellx3888
\clmgf\clbrdrt\clvertalb \cellx5184
\pard\intbl\qc{\fs20 \b {System Organ Class/\line Preferred Term}\b0}\cell
\pard\intbl\qc{\fs20 \b {Placebo\line (N=86)}\b0}\cell
\row
}
{
\trowd
\trqc \clbrdrt\clvertalt \cellx3888
\clbrdrt\clvertalt \cellx5184 \pard\intbl\ql{  SINUS BRADYCARDIA}\cell
\pard\intbl\ql{ 0        }\cell
\pard\intbl\ql{}\cell
\pard\intbl\ql{\'b1 1 \{x\} \u8805? 2}\cell
\row
}
}"""


def test_cells_are_read_as_printed():
    assert extract.table_rows(RTF) == [
        ["System Organ Class/\nPreferred Term", "Placebo\n(N=86)"],
        ["  SINUS BRADYCARDIA", " 0        ", "", "\u00b1 1 {x} \u2265 2"],
    ]


def test_every_stored_table_has_its_source_header():
    for path in sorted(atorus.HERE.glob("atorus-*.csv")):
        name = path.stem.removeprefix("atorus-")
        assert atorus.source(name).startswith(
            "Source: https://github.com/atorus-research/CDISC_pilot_replication, "
            f"outputs/{name}.rtf Commit: "), name
        assert atorus.rows(name), name
