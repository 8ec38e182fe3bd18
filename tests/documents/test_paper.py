"""A document may set its own paper ([documents.<id>] paper = "a4"): EMA documents on A4, FDA
ones on Letter, in one study. Both writers follow it."""

import io
import shutil

import docx
import pytest
from pypdf import PdfReader

from submission_kit.build import BuildOptions, build
from submission_kit.errors import UserError
from submission_kit.study import load_study

A4 = (595.28, 841.89)
LETTER = (612.0, 792.0)


def test_document_paper_overrides_the_study_style(small_study, tmp_path):
    study = tmp_path / "study"
    shutil.copytree(small_study, study)
    toml = study / "study.toml"
    toml.write_text(toml.read_text().replace(
        'template = "laboratory.md.j2"', 'template = "laboratory.md.j2"\npaper = "a4"')
        .replace('formats = ["pdf"]', 'formats = ["docx", "pdf"]'))
    out = tmp_path / "out"
    build(load_study(toml), BuildOptions(out_dir=out))
    for doc_id, size in (("laboratory", A4), ("demography", LETTER)):
        page = PdfReader(out / f"documents/{doc_id}.pdf").pages[0]
        assert (float(page.mediabox.width), float(page.mediabox.height)) == \
            pytest.approx(size, abs=0.5)
        section = docx.Document(io.BytesIO((out / f"documents/{doc_id}.docx").read_bytes())
                                ).sections[0]
        assert (section.page_width.pt, section.page_height.pt) == pytest.approx(size, abs=0.5)


def test_unknown_paper_is_refused_naming_the_key(small_study, tmp_path):
    study = tmp_path / "study"
    shutil.copytree(small_study, study)
    toml = study / "study.toml"
    toml.write_text(toml.read_text().replace(
        'template = "laboratory.md.j2"', 'template = "laboratory.md.j2"\npaper = "legal"'))
    with pytest.raises(UserError, match=r"documents.*laboratory.*paper.*'legal'"):
        load_study(toml)
