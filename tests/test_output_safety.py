"""A build never destroys what it did not make (DESIGN.md §3, "What a build may touch").

Each rule is exercised through the command line on a copy of the demo study (`init`), and every
refusal is checked three ways: exit code 2, a message that names the folder and the reason
(without a traceback), and every file that was there before still there, byte for byte.
"""

import errno
import fcntl
import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

import submission_kit.build
import submission_kit.incremental
import submission_kit.publish
from submission_kit.cli import main
from submission_kit.publish import lock_path

FAST = ["--format", "docx", "--only", "14.1.3"]  # one table, one format: a quick full build


def snapshot(root: Path) -> dict[str, str]:
    """sha256 of every file under root, hidden ones included."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def run(args: list[str], capsys) -> tuple[int, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture(scope="module")
def previous_build(tmp_path_factory) -> Path:
    """An output folder written by an earlier build (to copy, never to modify)."""
    root = tmp_path_factory.mktemp("previous")
    assert main(["init", str(root / "study")]) == 0
    assert main(["build", "--study", str(root / "study/study.toml"), "--out",
                 str(root / "output"), *FAST]) == 0
    return root / "output"


@pytest.fixture
def study(tmp_path) -> Path:
    target = tmp_path / "study"
    assert main(["init", str(target)]) == 0
    return target / "study.toml"


def build(study: Path, out: Path | str, capsys, *extra: str) -> tuple[int, str]:
    return run(["build", "--study", str(study), "--out", str(out), *FAST, *extra], capsys)


def assert_refused(code: int, text: str, *expected: str) -> None:
    assert code == 2, text
    assert "Traceback" not in text and "internal error" not in text
    for part in expected:
        assert part in text, f"{part!r} not in {text!r}"


def user_files(folder: Path, count: int = 7) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"note-{i}.txt").write_text(f"my note {i}")
    (folder / "sub").mkdir(exist_ok=True)
    (folder / "sub/draft.md").write_text("# draft")
    return folder


def test_folder_of_user_files_is_refused_before_any_analysis(study, tmp_path, capsys):
    notes = user_files(tmp_path / "notes")
    before = snapshot(tmp_path)
    code, text = build(study, notes, capsys)
    assert_refused(code, text, str(notes), "did not write", "8 files", "note-0.txt",
                   "and 3 more")
    assert "Checking data" not in text  # refused before the analyses, not after
    assert snapshot(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes", "study"]


def test_study_folder_is_refused(study, tmp_path, capsys):
    before = snapshot(tmp_path)
    code, text = build(study, study.parent, capsys)
    assert_refused(code, text, str(study.parent), "study folder")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(("out", "reason"), [
    (".", "is the current folder"),
    ("..", "contains the current folder"),
])
def test_current_folder_and_its_parents_are_refused(study, tmp_path, capsys, monkeypatch,
                                                    out, reason):
    work = user_files(tmp_path / "project/work")
    monkeypatch.chdir(work)
    before = snapshot(tmp_path)
    code, text = build(study, out, capsys)
    assert_refused(code, text, str((work / out).resolve()), reason)
    assert snapshot(tmp_path) == before


def test_empty_current_folder_is_refused_too(study, tmp_path, capsys, monkeypatch):
    """Swapping it would leave the shell in a deleted folder."""
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path / "empty")
    code, text = build(study, ".", capsys)
    assert_refused(code, text, str(tmp_path / "empty"), "current folder")
    assert (tmp_path / "empty").is_dir()


@pytest.mark.parametrize(("out", "reason"), [
    ("", "contains the study file"),
    ("study/data", "contains the dataset file"),
    ("study/templates", "contains the template folder"),
])
def test_folder_holding_study_inputs_is_refused(study, tmp_path, capsys, out, reason):
    before = snapshot(tmp_path)
    code, text = build(study, tmp_path / out, capsys)
    assert_refused(code, text, f"--out {(tmp_path / out).resolve()}", reason)
    assert snapshot(tmp_path) == before


def test_existing_file_is_refused(study, tmp_path, capsys):
    target = tmp_path / "report.txt"
    target.write_text("not a folder")
    before = snapshot(tmp_path)
    code, text = build(study, target, capsys)
    assert_refused(code, text, str(target), "existing file, not a folder")
    assert snapshot(tmp_path) == before and target.is_file()


def test_previous_build_with_a_foreign_file_is_refused(study, tmp_path, previous_build,
                                                       capsys):
    out = tmp_path / "output"
    shutil.copytree(previous_build, out)
    (out / "my-notes.txt").write_text("review comments")
    (out / "deliverables/tables/t-99-copy.docx").write_bytes(b"a user's edited copy")
    before = snapshot(tmp_path)
    code, text = build(study, out, capsys)
    assert_refused(code, text, str(out), "earlier build", "did not write", "2 files",
                   "my-notes.txt", "deliverables/tables/t-99-copy.docx")
    assert snapshot(tmp_path) == before


def test_manifest_of_another_tool_is_not_ours(study, tmp_path, capsys):
    out = tmp_path / "output"
    (out / "records").mkdir(parents=True)
    (out / "records/manifest.json").write_text(json.dumps(
        {"tool": {"name": "other-tool"}, "outputs": [{"path": "data.csv"}]}))
    (out / "data.csv").write_text("a,b\n1,2\n")
    before = snapshot(tmp_path)
    code, text = build(study, out, capsys)
    assert_refused(code, text, str(out), "no records/manifest.json of ours", "data.csv")
    assert snapshot(tmp_path) == before


def test_a_build_from_before_the_split_is_replaced(study, tmp_path, capsys):
    """A build written before deliverables/ and records/ were apart (manifest.json and
    SHA256SUMS at the top, listing tables/... files) is ours: replaced, nothing else is."""
    out = tmp_path / "output"
    (out / "tables").mkdir(parents=True)
    (out / "tables/t-14-1-3.pdf").write_bytes(b"%PDF-1.7 old layout")
    (out / "SHA256SUMS").write_text("old sums\n")
    (out / "manifest.json").write_text(json.dumps(
        {"tool": {"name": "submission-kit"}, "outputs": [{"path": "tables/t-14-1-3.pdf"}]}))
    code, text = build(study, out, capsys)
    assert code == 0, text
    files = snapshot(out)
    assert "records/manifest.json" in files and "deliverables/tables/t-14-1-3.docx" in files
    assert not {"manifest.json", "SHA256SUMS", "tables/t-14-1-3.pdf"} & set(files)
    # With a file the old manifest does not list, the folder is refused as before.
    (out / "records/manifest.json").unlink()
    (out / "manifest.json").write_text(json.dumps(
        {"tool": {"name": "submission-kit"}, "outputs": []}))
    code, text = build(study, out, capsys)
    assert_refused(code, text, str(out), "earlier build", "did not write")


def test_file_dropped_in_while_the_analyses_run_is_kept(study, tmp_path, previous_build,
                                                        capsys, monkeypatch):
    """The check runs again just before the swap."""
    out = tmp_path / "output"
    shutil.copytree(previous_build, out)
    build_nodes = submission_kit.incremental.build_nodes

    def build_then_drop(*args, **kwargs):
        outcome = build_nodes(*args, **kwargs)
        (out / "late.txt").write_text("written during the build")
        return outcome

    monkeypatch.setattr(submission_kit.incremental, "build_nodes", build_then_drop)
    before = snapshot(previous_build)
    code, text = build(study, out, capsys)
    assert_refused(code, text, str(out), "late.txt")
    after = snapshot(out)
    assert after.pop("late.txt") and after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output", "study"]


def test_empty_folder_is_built_into(study, tmp_path, capsys):
    out = tmp_path / "output"
    out.mkdir()
    code, text = build(study, out, capsys)
    assert code == 0, text
    manifest = json.loads((out / "records/manifest.json").read_text())
    published = {p for p in snapshot(out) if not p.startswith(".cache/")}
    assert {o["path"] for o in manifest["outputs"]} == published - {"records/manifest.json",
                                                                    "deliverables/SHA256SUMS"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output", "study"]  # no lock left


def test_previous_build_is_replaced(study, tmp_path, previous_build, capsys):
    out = tmp_path / "output"
    shutil.copytree(previous_build, out)
    (out / "records/tables/t-14-1-3.json").write_text("stale")
    (out / "SHA256SUMS").write_text("bookkeeping of ours\n")
    (out / ".cache").mkdir(exist_ok=True)
    (out / ".cache/entry").write_bytes(b"cache of ours")
    code, text = build(study, out, capsys)
    assert code == 0, text
    assert snapshot(out) == snapshot(previous_build)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output", "study"]


def test_leftovers_of_a_killed_build_are_cleaned(study, tmp_path, previous_build, capsys):
    out = tmp_path / "output"
    shutil.copytree(previous_build, out)
    for leftover in (".output.staging-99999", ".output.old-99998"):
        shutil.copytree(previous_build, tmp_path / leftover)
    (tmp_path / ".output.staging-99999/half-written.pdf").write_bytes(b"%PDF-")
    unrelated = user_files(tmp_path / ".output.notes")  # not a leftover's name: kept
    kept = snapshot(unrelated)
    code, text = build(study, out, capsys)
    assert code == 0, text
    assert sorted(p.name for p in tmp_path.iterdir()) == [".output.notes", "output", "study"]
    assert snapshot(unrelated) == kept


def test_output_moved_aside_by_a_killed_build_is_put_back(study, tmp_path, previous_build,
                                                          capsys):
    """Killed between its two renames: the output is missing and .old holds it. The next
    build restores it (here --only carries its other files over, so they must survive)."""
    shutil.copytree(previous_build, tmp_path / ".output.old-99998")
    code, text = run(["build", "--study", str(study), "--out", str(tmp_path / "output"),
                      "--format", "docx", "--only", "14.2.1"], capsys)
    assert code == 0, text
    built = snapshot(tmp_path / "output")
    for path, digest in snapshot(previous_build).items():
        if path not in ("records/manifest.json", "deliverables/SHA256SUMS"):
            assert built[path] == digest, path
    assert "records/tables/t-14-2-1.json" in built
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output", "study"]


def test_second_build_into_a_locked_folder_stops_at_once(study, tmp_path, previous_build,
                                                         capsys):
    out = tmp_path / "output"
    shutil.copytree(previous_build, out)
    lock = lock_path(out)
    before = snapshot(out)
    with lock.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a build in another process
        code, text = build(study, out, capsys)
    assert_refused(code, text, f"another build is writing {out}", f"lock {lock}")
    assert "Checking data" not in text
    assert snapshot(out) == before


def test_read_only_parent_folder(study, tmp_path, previous_build, capsys):
    parent = tmp_path / "locked"
    shutil.copytree(previous_build, parent / "output")
    before = snapshot(parent)
    parent.chmod(0o500)
    try:
        if os.access(parent, os.W_OK):
            pytest.skip("running as root: chmod does not stop writes (the simulated "
                        "permission tests below cover this case)")
        code, text = build(study, parent / "output", capsys)
    finally:
        parent.chmod(0o700)
    assert_refused(code, text, str(parent), "cannot write")
    assert snapshot(parent) == before


@pytest.mark.parametrize(("unwritable", "reason"), [
    ("", "cannot write to"),
    ("output/records/tables", "is not writable"),
])
def test_unwritable_locations_are_refused_before_any_analysis(study, tmp_path, previous_build,
                                                              capsys, monkeypatch,
                                                              unwritable, reason):
    """As root chmod cannot make a folder read-only, so os.access is told what to answer."""
    out = tmp_path / "output"
    shutil.copytree(previous_build, out)
    bad = tmp_path / unwritable
    before = snapshot(tmp_path)
    monkeypatch.setattr(submission_kit.publish.os, "access", lambda path, mode: Path(path) != bad)
    code, text = build(study, out, capsys)
    assert_refused(code, text, f"--out {out}", f"{bad}", reason)
    assert "Checking data" not in text
    assert snapshot(tmp_path) == before


def test_disk_error_while_staging_keeps_the_previous_output(study, tmp_path, previous_build,
                                                            capsys, monkeypatch):
    out = tmp_path / "output"
    shutil.copytree(previous_build, out)
    before = snapshot(tmp_path)
    stage = submission_kit.publish._stage

    def stage_then_fill_the_disk(*args, **kwargs):
        stage(*args, **kwargs)
        staging = args[4]
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC),
                      str(staging / "records/manifest.json"))

    monkeypatch.setattr(submission_kit.publish, "_stage", stage_then_fill_the_disk)
    code, text = build(study, out, capsys)
    assert_refused(code, text, "records/manifest.json", "No space left on device",
                   "previous output is unchanged")
    assert snapshot(tmp_path) == before


def test_failed_swap_puts_the_previous_output_back(study, tmp_path, previous_build, capsys,
                                                   monkeypatch):
    """The riskiest moment: the old output is already moved aside when the new one fails to
    move in (permission denied)."""
    out = tmp_path / "output"
    shutil.copytree(previous_build, out)
    before = snapshot(tmp_path)
    rename = Path.rename

    def refuse_moving_in(self, target):
        if Path(target) == out and ".staging-" in self.name:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(out))
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", refuse_moving_in)
    code, text = build(study, out, capsys)
    assert_refused(code, text, str(out), "Permission denied", "previous output is unchanged")
    assert snapshot(tmp_path) == before
