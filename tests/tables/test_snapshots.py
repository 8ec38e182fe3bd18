"""Golden text snapshots of table models: any change to a rendered cell, label, footnote or
title shows up here as a diff (and belongs in CHANGELOG.md under "Output changes").

Refresh after an intended change with:  UPDATE_SNAPSHOTS=1 pytest tests/tables/test_snapshots.py
"""

import json
import os
from pathlib import Path

import pytest

from submission_kit.tables.model import as_json, from_dict, table_file_stem
from submission_kit.tables.text import as_text

SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.fixture(scope="module")
def tables(demo_computed, pilot_computed):
    """The demo and the CDISC pilot, as computed once per session (conftest)."""
    return {"demo": demo_computed.tables, "cdiscpilot01": pilot_computed.tables}


def test_every_table_matches_its_snapshot(tables):
    """Every table each study builds has a snapshot, and every snapshot a table."""
    expected = set()
    for study, built in tables.items():
        for table_id, model in built.items():
            text = as_text(model)
            path = SNAPSHOTS / f"{study}-{table_file_stem(table_id)}.txt"
            expected.add(path.name)
            if os.environ.get("UPDATE_SNAPSHOTS") == "1":
                path.parent.mkdir(exist_ok=True)
                path.write_text(text, encoding="utf-8")
            assert path.is_file(), f"no snapshot {path.name}; run with UPDATE_SNAPSHOTS=1 once"
            assert text == path.read_text(encoding="utf-8"), f"{path.name} differs"
    assert {p.name for p in SNAPSHOTS.glob("*.txt")} == expected, "stale snapshot files"


def test_table_json_round_trips(tables):
    for model in tables["demo"].values():
        assert from_dict(json.loads(as_json(model))) == model


def test_text_layout_aligns_columns(tables):
    lines = as_text(tables["demo"]["14.1.3"]).splitlines()
    assert lines[0].strip() == "Table 14.1.3"
    header = next(i for i, line in enumerate(lines) if line.startswith("Characteristic"))
    assert set(lines[header + 1]) == {"-"}
    assert "(N=110)" in lines[header] and "Placebo" in lines[header - 1]
