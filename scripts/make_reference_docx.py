"""Write templates/reference.docx, the styles every DOCX is written with, from the code.

    .venv/bin/python scripts/make_reference_docx.py

The file is generated, never edited by hand: change the styles in
submission_kit/writers/docx_styles.py and run this again (tests/writers/test_docx_reference.py
fails while the file and the code disagree). A study that wants other styles puts its own
reference.docx in its templates/ folder instead; start from a copy of this one in Word.
"""

from __future__ import annotations

from pathlib import Path

from submission_kit.writers.docx_reference import REFERENCE_NAME, reference_docx

TARGET = Path(__file__).resolve().parent.parent / "templates" / REFERENCE_NAME


def main() -> None:
    TARGET.write_bytes(reference_docx())
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
