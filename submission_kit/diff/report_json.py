"""The changes as stable JSON, for machines and CI: sorted keys, one record per change, each
with a stable id (c1, c2, ... in report order)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from submission_kit.diff.changes import LABELS, Change
from submission_kit.diff.compare import DiffReport

FORMAT = "submission-kit-diff/1"


def change_record(change: Change, number: int) -> dict[str, Any]:
    return {
        "id": f"c{number}",
        "category": change.category,
        "kind": change.kind,
        "artifact": change.artifact,
        "location": list(change.location),
        "where": change.where,
        "old": change.old,
        "new": change.new,
        "words": [list(op) for op in change.words],
        "refs": list(change.refs),
        "detail": change.detail,
    }


def as_report_dict(report: DiffReport) -> dict[str, Any]:
    counts = report.counts()
    return {
        "format": FORMAT,
        "old": asdict(report.old),
        "new": asdict(report.new),
        "summary": {
            "total": len(report.changes),
            "by_category": counts,
            "labels": LABELS,
            "ignored": len(report.ignored),
        },
        "changes": [change_record(c, i) for i, c in enumerate(report.changes, start=1)],
        "ignored": [change_record(c, i) for i, c in enumerate(report.ignored, start=1)],
        "documents_changed": list(report.documents),
        "notes": list(report.notes),
    }


def as_report_json(report: DiffReport) -> str:
    return json.dumps(as_report_dict(report), sort_keys=True, indent=1,
                      ensure_ascii=False) + "\n"
