"""A document may set its own paper ([documents.<id>] paper = "a4"): EMA documents on A4, FDA
ones on Letter, in one study. Both writers follow it. Likewise its own date and version (a
dossier's date is not its data cutoff): title page, footer and both files' metadata."""

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


def test_document_paper_date_and_version_override_the_study(small_study, tmp_path):
    study = tmp_path / "study"
    shutil.copytree(small_study, study)
    toml = study / "study.toml"
    toml.write_text(toml.read_text().replace(
        'template = "laboratory.md.j2"',
        'template = "laboratory.md.j2"\npaper = "a4"\ndate = 2024-05-02\nversion = "2.1"')
        .replace('formats = ["pdf"]', 'formats = ["docx", "pdf"]'))
    out = tmp_path / "out"
    build(load_study(toml), BuildOptions(out_dir=out))
    for doc_id, size in (("laboratory", A4), ("demography", LETTER)):
        page = PdfReader(out / f"deliverables/documents/{doc_id}.pdf").pages[0]
        assert (float(page.mediabox.width), float(page.mediabox.height)) == \
            pytest.approx(size, abs=0.5)
        path = out / f"deliverables/documents/{doc_id}.docx"
        section = docx.Document(io.BytesIO(path.read_bytes())
                                ).sections[0]
        assert (section.page_width.pt, section.page_height.pt) == pytest.approx(size, abs=0.5)
    # The laboratory brief's own date and version; the demography brief keeps the study's
    # (version 1.0, dated by the data cutoff 2021-09-30, no separate date line).
    for doc_id, stamp, version, dated in (("laboratory", "20240502", "2.1", True),
                                          ("demography", "20210930", "1.0", False)):
        reader = PdfReader(out / f"deliverables/documents/{doc_id}.pdf")
        assert str(reader.metadata["/CreationDate"]).startswith(f"D:{stamp}")
        text = reader.pages[0].extract_text()
        assert f"Version: {version}" in text and f"{doc_id} v{version}" in text
        assert ("Date: 2 May 2024" in text) is dated and "Data cutoff: 30 September 2021" in text
        path = out / f"deliverables/documents/{doc_id}.docx"
        core = docx.Document(io.BytesIO(path.read_bytes())
                             ).core_properties
        assert core.created is not None and core.created.strftime("%Y%m%d") == stamp


@pytest.mark.parametrize(("line", "message"), [
    ('date = "15/12/2021"', r"documents.*laboratory.*date.*not a date"),
    ('paper = "legal"', r"documents.*laboratory.*paper.*'legal'"),
])
def test_bad_document_settings_are_refused_naming_the_key(small_study, tmp_path, line,
                                                          message):
    study = tmp_path / "study"
    shutil.copytree(small_study, study)
    toml = study / "study.toml"
    toml.write_text(toml.read_text().replace(
        'template = "laboratory.md.j2"', f'template = "laboratory.md.j2"\n{line}'))
    with pytest.raises(UserError, match=message):
        load_study(toml)
