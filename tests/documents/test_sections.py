"""One template file per document section (templates/<doc>/NN-name.md.j2, included in order by
the folder's document.md.j2): a study overrides one section without copying the rest, and
`build --only <doc>/<section>` rebuilds the document that section belongs to."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from submission_kit.build import resolve_only
from submission_kit.cli import DEMO_STUDY, main
from submission_kit.documents.render import render_document
from submission_kit.documents.structure import as_document_json
from submission_kit.errors import UserError
from submission_kit.locations import BUNDLED
from submission_kit.study import load_study

DOC = "fda-meeting-package"


def _study_with_templates(tmp_path: Path) -> Path:
    """The demo's study.toml in a new folder with its own (empty) templates/ folder."""
    folder = tmp_path / "study"
    folder.mkdir()
    text = DEMO_STUDY.read_text(encoding="utf-8").replace(
        'dir = "data"', f'dir = "{(DEMO_STUDY.parent / "data").as_posix()}"')
    (folder / "study.toml").write_text(text + '\n[paths]\ntemplates = "templates"\n',
                                       encoding="utf-8")
    (folder / "templates" / DOC).mkdir(parents=True)
    return folder / "study.toml"


def _text(rendered) -> str:
    return as_document_json(rendered.document)


def test_the_bundled_documents_are_one_file_per_section():
    for doc in ("fda-meeting-package", "ema-scientific-advice"):
        folder = BUNDLED / "templates" / doc
        root = (folder / "document.md.j2").read_text(encoding="utf-8")
        sections = sorted(p.name for p in folder.glob("[0-9][0-9]-*.md.j2"))
        assert len(sections) >= 6
        # The root includes every section file, in file-name order, and nothing else.
        included = [line.split('"')[1].split("/")[1] for line in root.splitlines()
                    if line.startswith("{% include ")]
        assert included == sections


def test_a_study_overrides_one_section_and_keeps_the_others(tmp_path, demo_computed):
    toml = _study_with_templates(tmp_path)
    (toml.parent / "templates" / DOC / "07-purpose.md.j2").write_text(
        "# Purpose of the Meeting\n\nThe sponsor's own purpose paragraph.\n", encoding="utf-8")
    study = load_study(toml)
    config = next(d for d in study.documents if d.id == DOC)
    c = demo_computed
    rendered = render_document(study, config, c.results, c.tables, c.figures)
    text = _text(rendered)
    assert "The sponsor's own purpose paragraph." in text
    assert load_study(DEMO_STUDY).regulatory["purpose"] not in text
    # The sections around it still come from the bundled files.
    assert "Proposed Agenda" in text and "Questions for the Agency" in text
    read = {p.as_posix() for p in rendered.templates}
    assert any(p.endswith(f"study/templates/{DOC}/07-purpose.md.j2") for p in read)
    assert any(p.endswith(f"templates/{DOC}/08-proposed-agenda.md.j2") and "study/" not in p
               for p in read)


def test_only_a_section_means_its_document():
    study = load_study(DEMO_STUDY)
    assert resolve_only(study, (f"{DOC}/09-questions", "14.1.3")) == (DOC, "14.1.3")
    assert resolve_only(study, (f"{DOC}/09-questions.md.j2", DOC)) == (DOC,)
    with pytest.raises(UserError, match=r"fda-meeting-package has no section '99-nope' "
                                        r"\(its sections: 00-front-matter, .*09-questions"):
        resolve_only(study, (f"{DOC}/99-nope",))
    with pytest.raises(UserError, match=r"--only 'nope/01-x': not an output"):
        resolve_only(study, ("nope/01-x",))
    with pytest.raises(UserError, match=r"--only '14.1.3/01-x': not an output"):
        resolve_only(study, ("14.1.3/01-x",))  # a table has no sections


def test_only_an_unknown_section_exits_2_before_building(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["build", "--out", str(out), "--only", f"{DOC}/99-nope"])
    assert code == 2
    assert "has no section '99-nope'" in capsys.readouterr().err
    assert not out.exists()


def test_a_single_file_template_has_no_sections(small_study, tmp_path):
    study_dir = tmp_path / "small"
    shutil.copytree(small_study, study_dir)
    study = load_study(study_dir / "study.toml")
    with pytest.raises(UserError, match="its sections: none, it is one template"):
        resolve_only(study, ("laboratory/01-intro",))
