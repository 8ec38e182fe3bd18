"""`submission-kit diff`: compare two builds as a QA reviewer would.

One stage per module: `load` reads two output folders (and, when they can be found and match
the manifests, the study folders behind them) into plain data; `compare` turns the pair into
`Change` records (pure); `report_json`, `report_html` and `redline` only format those records;
`cli` wires the command. Builds are compared through what they recorded (manifest, table
models, results, document structure, trace), never by diffing DOCX or PDF bytes.
"""
