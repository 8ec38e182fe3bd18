"""Template lookup: a template or include may not be a link out of the template folders
(DESIGN.md §3); links inside them, and the bundled folder reached through a symlink, work."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment

from submission_kit.documents.render import ContainedLoader
from submission_kit.errors import UserError
from submission_kit.locations import BUNDLED


def environment(*folders: Path) -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(loader=ContainedLoader(folders),
                                         undefined=jinja2.StrictUndefined)


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """A study template folder and, beside it, a folder with a file templates may not read."""
    study, outside = tmp_path / "templates", tmp_path / "outside"
    study.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("SECRET", encoding="utf-8")
    (study / "main.md.j2").write_text("# Main\n", encoding="utf-8")
    return study, outside


def test_a_template_in_the_folder_is_found(folders: tuple[Path, Path]) -> None:
    study, _ = folders
    assert environment(study).get_template("main.md.j2").render() == "# Main"


def test_a_template_linked_out_of_the_folder_is_refused(folders: tuple[Path, Path]) -> None:
    study, outside = folders
    (study / "doc.md.j2").symlink_to(outside / "secret.txt")
    with pytest.raises(UserError, match=r"template 'doc\.md\.j2' .* outside the template"):
        environment(study).get_template("doc.md.j2")


def test_an_include_linked_out_of_the_folder_is_refused(folders: tuple[Path, Path]) -> None:
    study, outside = folders
    (study / "part.md.j2").symlink_to(outside / "secret.txt")
    (study / "doc.md.j2").write_text('{% include "part.md.j2" %}', encoding="utf-8")
    with pytest.raises(UserError, match=r"part\.md\.j2"):
        environment(study).get_template("doc.md.j2").render()


def test_a_linked_subfolder_pointing_outside_is_refused(folders: tuple[Path, Path]) -> None:
    study, outside = folders
    (study / "shared").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UserError, match="outside the template folders"):
        environment(study).get_template("shared/secret.txt")


def test_parent_segments_are_not_followed(folders: tuple[Path, Path]) -> None:
    study, _ = folders
    with pytest.raises(jinja2.TemplateNotFound):
        environment(study).get_template("../outside/secret.txt")


def test_a_link_inside_the_folders_is_fine(folders: tuple[Path, Path]) -> None:
    study, _ = folders
    (study / "alias.md.j2").symlink_to(study / "main.md.j2")
    assert environment(study).get_template("alias.md.j2").render() == "# Main"


def test_a_template_folder_reached_through_a_link_works(folders: tuple[Path, Path],
                                                         tmp_path: Path) -> None:
    study, _ = folders
    linked = tmp_path / "linked"
    linked.symlink_to(study, target_is_directory=True)
    assert environment(linked).get_template("main.md.j2").render() == "# Main"


def test_the_bundled_templates_load_through_their_symlink(folders: tuple[Path, Path]) -> None:
    study, _ = folders
    bundled = BUNDLED / "templates"
    assert bundled.is_symlink() or any(p.is_symlink() for p in bundled.parents)
    source, filename, _ = ContainedLoader([study, bundled]).get_source(
        environment(study), "fda-meeting-package/09-questions.md.j2")
    assert source and filename.endswith("fda-meeting-package/09-questions.md.j2")


def test_a_missing_template_is_not_found(folders: tuple[Path, Path]) -> None:
    study, _ = folders
    with pytest.raises(jinja2.TemplateNotFound):
        environment(study).get_template("nope.md.j2")
