"""The structured form of a document (`output/documents/<id>.json`) that QA diffs compare."""

from __future__ import annotations

import json

from submission_kit.documents.markdown import parse_markdown
from submission_kit.documents.model import Document, TitlePage
from submission_kit.documents.structure import as_document_json
from submission_kit.tables.model import Column, Row, TableModel

TEXT = """# Background

First paragraph.

## Data

1. One item
   - nested point
2. Two

```{table} 14.1.3
```

# Questions

Why?
"""


def test_blocks_carry_their_numbered_section_and_position():
    table = TableModel("14.1.3", ("Table 14.1.3", "Demographics"), (Column("A", "A", 3),),
                       (Row("Age", ("1",)),))
    doc = Document("doc", TitlePage("Title"), parse_markdown(TEXT), tables={"14.1.3": table})
    data = json.loads(as_document_json(doc))
    blocks = [(b["section"], b["index"], b["kind"], b.get("text")) for b in data["blocks"]]
    assert blocks == [
        ("1 Background", 1, "heading", "1 Background"),
        ("1 Background", 2, "paragraph", "First paragraph."),
        ("1 Background > 1.1 Data", 1, "heading", "1.1 Data"),
        ("1 Background > 1.1 Data", 2, "list-item", "One item"),
        ("1 Background > 1.1 Data", 3, "list-item", "nested point"),
        ("1 Background > 1.1 Data", 4, "list-item", "Two"),
        ("1 Background > 1.1 Data", 5, "table", "Table 1: Demographics (Table 14.1.3)"),
        ("2 Questions", 1, "heading", "2 Questions"),
        ("2 Questions", 2, "paragraph", "Why?"),
    ]
    assert as_document_json(doc) == as_document_json(doc)
