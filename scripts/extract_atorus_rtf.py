"""Extract the table cells of the Atorus CDISC pilot replication's RTF outputs into CSV.

The published tables (atorus-research/CDISC_pilot_replication, outputs/<name>.rtf) are data
for tests/tables/published/: this script reads each RTF from a local git mirror of that
repository, at a given commit, and writes one CSV per table with every table row (header rows
included) as written, one RTF cell per CSV column. Text is taken as printed: leading spaces
(the indentation of a preferred term) and trailing spaces are kept, `\\line` becomes a
newline; nothing is rounded or reformatted. The first lines of each CSV are '#' comments naming
the repository, commit and file.

Usage:
    python scripts/extract_atorus_rtf.py MIRROR_GIT_DIR COMMIT OUT_DIR NAME [NAME ...]
e.g.
    python scripts/extract_atorus_rtf.py /path/to/CDISC_pilot_replication.git \\
        fc8d658d7709aac0cccd753d0ca9ae6726090a61 tests/tables/published \\
        14-1.02 14-2.01 14-5.01
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

REPOSITORY = "atorus-research/CDISC_pilot_replication"

# One control word (letters, optional signed number, one optional delimiting space), a control
# symbol (\\, \{, \}, \~, \-, \_), a hex escape \'hh, or a literal character.
TOKEN = re.compile(r"\\([a-zA-Z]+)(-?\d+)? ?|\\'([0-9a-fA-F]{2})|\\([^a-zA-Z'])|([{}])|([^\\{}]+)")
CELL = re.compile(r"\\pard\\intbl\\q[lcrj](.*?)\\cell(?![a-z])", re.DOTALL)
ROW = re.compile(r"\\trowd(.*?)\\row(?![a-z])", re.DOTALL)


def cell_text(rtf: str) -> str:
    """The printed text of one cell's RTF: groups and formatting words dropped, \\line as a
    newline, \\uN (with its one-character fallback) and \\'hh (cp1252) decoded."""
    out: list[str] = []
    skip = 0  # characters of a \uN fallback still to skip
    for word, number, hexa, symbol, brace, text in TOKEN.findall(rtf):
        if word:
            if word == "line":
                out.append("\n")
            elif word == "tab":
                out.append("\t")
            elif word == "u" and number:
                code = int(number)
                out.append(chr(code + 65536 if code < 0 else code))
                skip = 1
            continue
        if hexa:
            if skip:
                skip -= 1
                continue
            out.append(bytes([int(hexa, 16)]).decode("cp1252"))
        elif symbol:
            out.append({"~": "\u00a0", "-": "", "_": "-"}.get(symbol, symbol))
        elif brace:
            continue
        elif text:
            if skip:
                text, skip = text[1:], 0
            out.append(text.replace("\r", "").replace("\n", ""))
    return "".join(out)


def table_rows(rtf: str) -> list[list[str]]:
    """Every table row of the document, each a list of its cells' text."""
    return [[cell_text(c) for c in CELL.findall(row)] for row in ROW.findall(rtf)]


def extract(mirror: Path, commit: str, name: str) -> list[list[str]]:
    path = f"outputs/{name}.rtf"
    raw = subprocess.run(["git", "-C", str(mirror), "show", f"{commit}:{path}"],
                         check=True, capture_output=True).stdout
    return table_rows(raw.decode("cp1252"))


def last_change(mirror: Path, commit: str, name: str) -> str:
    """The commit, at or before `commit`, that last changed outputs/<name>.rtf."""
    return subprocess.run(["git", "-C", str(mirror), "log", "-1", "--format=%H", commit, "--",
                           f"outputs/{name}.rtf"], check=True, capture_output=True,
                          text=True).stdout.strip()


def write_csv(rows: list[list[str]], target: Path, commit: str, changed: str, name: str) -> None:
    with target.open("w", encoding="utf-8", newline="") as handle:
        handle.write(f"# Source: https://github.com/{REPOSITORY}, outputs/{name}.rtf\n")
        handle.write(f"# Commit: {commit} (file last changed in {changed})\n")
        handle.write("# Extracted by scripts/extract_atorus_rtf.py: one RTF table row per line, "
                     "cells as printed\n")
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerows(rows)


def main(argv: list[str]) -> int:
    if len(argv) < 4:
        print(__doc__)
        return 2
    mirror, commit, out = Path(argv[0]), argv[1], Path(argv[2])
    out.mkdir(parents=True, exist_ok=True)
    for name in argv[3:]:
        rows = extract(mirror, commit, name)
        write_csv(rows, out / f"atorus-{name}.csv", commit, last_change(mirror, commit, name),
                  name)
        print(f"{name}: {len(rows)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
