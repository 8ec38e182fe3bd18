"""LibreOffice headless as the reader of the DOCX files the tests build: it opens a file as a
user's office suite would, and its PDF export shows what it laid out."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from pypdf import PdfReader


def libreoffice_pdfs(docx_files: Iterable[Path], folder: Path) -> dict[str, PdfReader]:
    """Convert each DOCX to PDF in `folder` (one LibreOffice run); file stem -> the PDF."""
    files = [Path(f) for f in docx_files]
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is needed (scripts/install-system-deps.sh test installs it)"
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{folder}/lo",
                    "--convert-to", "pdf", "--outdir", str(folder), *map(str, files)],
                   check=True, capture_output=True, timeout=300)
    return {f.stem: PdfReader(str(folder / f"{f.stem}.pdf")) for f in files}
