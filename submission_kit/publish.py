"""publish: the only code that replaces an output folder, and the rules that stop it from
replacing anything a build did not make.

A build writes into a staging folder next to the output and swaps it in with two renames, so
the old folder is deleted as a whole. That is only safe when everything in it came from an
earlier build. The rules (checked before any analysis runs, and again just before the swap):

- `--out` may be absent, an empty folder, or a folder an earlier submission-kit build wrote
  (its records/manifest.json says `"tool": {"name": "submission-kit"}`; or manifest.json at
  the top, for a build made before deliverables and records were apart) that holds nothing
  but the files that manifest lists, the manifest, SHA256SUMS and .cache/.
- Never the study folder, the current folder or a folder containing it, a folder containing
  the study file, a dataset file, a template folder or a spec folder; never an existing file.
- One build per output folder at a time: an exclusive, non-blocking lock on `.<name>.lock`
  next to it; a second build stops at once (exit 2) instead of waiting.
- Leftovers of a killed build (`.<name>.staging-<pid>`, `.<name>.old-<pid>`) are removed by
  the next build while it holds the lock; an `.old` folder is put back first if the kill came
  between the two renames.
- Every refusal and every write failure is a `UserError` naming the path, with the previous
  output untouched.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from submission_kit.buildgraph import sha256_bytes
from submission_kit.errors import UserError
from submission_kit.manifest import as_manifest_json
from submission_kit.outputs import BOOKKEEPING, MANIFEST, SUMS, deliverables_sums, manifest_path
from submission_kit.study import Study

if TYPE_CHECKING:
    from submission_kit.build import BuildOptions
    from submission_kit.cache import Cache
    from submission_kit.incremental import Outcome

TOOL_NAME = "submission-kit"  # as manifest.json records it under "tool"
_CACHE = ".cache"
_NAMED = 5  # foreign files named in a refusal; more would bury the message
_ADVICE = ("A build replaces its whole output folder, so it writes only into a new or empty "
           "folder or an earlier submission-kit build. Nothing was changed.")


def check_output_dir(study: Study, out_dir: Path) -> None:
    """Raise UserError unless a build may replace `out_dir`. Reads only; writes nothing."""
    out = out_dir.resolve()
    reason = _protected_reason(study, out) or _contents_reason(out)
    if reason:
        raise UserError(f"--out {out}: refusing to build here: it {reason}.", (_ADVICE,))
    _require_writable(out)


def _protected_reason(study: Study, out: Path) -> str | None:
    """Folders that are never an output, whatever they hold (an empty current folder too:
    swapping it would leave the shell in a deleted folder)."""
    if out.exists() and not out.is_dir():
        return "is an existing file, not a folder"
    if out == study.root.resolve():
        return f"is the study folder (it holds {study.path.name})"
    cwd = _cwd()
    if cwd is not None and cwd.is_relative_to(out):
        return "is the current folder" if cwd == out else f"contains the current folder {cwd}"
    for label, path in _study_inputs(study):
        if path.resolve().is_relative_to(out):
            return f"contains the {label} {path}"
    return None


def _cwd() -> Path | None:
    try:
        return Path.cwd().resolve()
    except OSError:  # the current folder was deleted: nothing there to protect
        return None


def _study_inputs(study: Study) -> list[tuple[str, Path]]:
    return [("study file", study.path),
            *(("dataset file", d.path) for d in study.datasets),
            *(("template folder", p) for p in study.template_dirs),
            *(("spec folder", p) for p in study.spec_dirs)]


def _contents_reason(out: Path) -> str | None:
    """Why `out` holds something a build must not delete, or None when it holds nothing else."""
    try:
        if not out.exists() or not any(out.iterdir()):
            return None
        entries = _entries(out)
        built = _manifest_outputs(manifest_path(out))
    except OSError as exc:
        raise _os_error(exc, out, "cannot read the output folder") from exc
    if built is None:
        return (f"holds {_count(entries)} that submission-kit did not write (no "
                f"records/manifest.json of ours): {_names(entries)}")
    foreign = [e for e in entries if e not in built and not is_bookkeeping(e)]
    if foreign:
        return (f"is an earlier build, but also holds {_count(foreign)} that build did not "
                f"write (not in its manifest): {_names(foreign)}")
    return None


def _entries(root: Path) -> list[str]:
    """What replacing `root` would delete: every file, symlink and empty folder under it,
    relative to it. Symlinked folders are not followed (a replace removes only the link)."""
    found: list[str] = []
    for folder, dirs, files in os.walk(root, onerror=_reraise):
        rel = Path(folder).relative_to(root)
        links = [d for d in dirs if os.path.islink(os.path.join(folder, d))]
        found += [(rel / name).as_posix() for name in (*files, *links)]
        if not dirs and not files and rel != Path("."):
            found.append(rel.as_posix() + "/")
    return sorted(found)


def _reraise(exc: OSError) -> None:
    raise exc  # os.walk skips unreadable folders by default: we must not call them empty


def read_previous(out: Path) -> dict[str, Any]:
    """The previous build's manifest.json payload ({} when there is none to read)."""
    try:
        payload = json.loads(manifest_path(out).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return payload if isinstance(payload, dict) else {}


def _manifest_outputs(path: Path) -> frozenset[str] | None:
    """The output paths our manifest lists; None if there is no manifest of ours."""
    if not path.is_file():
        return None
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    tool = payload.get("tool") if isinstance(payload, dict) else None
    outputs = payload.get("outputs") if isinstance(payload, dict) else None
    if not isinstance(tool, dict) or tool.get("name") != TOOL_NAME or not isinstance(
            outputs, list):
        return None
    return frozenset(o["path"] for o in outputs
                     if isinstance(o, dict) and isinstance(o.get("path"), str))


def is_bookkeeping(rel: str) -> bool:
    """Written by a build besides the outputs its manifest lists."""
    return rel in BOOKKEEPING or rel.split("/")[0] == _CACHE


def _count(entries: list[str]) -> str:
    return f"{len(entries)} file" + ("" if len(entries) == 1 else "s")


def _names(entries: list[str]) -> str:
    more = len(entries) - _NAMED
    return ", ".join(entries[:_NAMED]) + (f" and {more} more" if more > 0 else "")


def _require_writable(out: Path) -> None:
    """Fail before the analyses, not after, when the swap could not happen or the old output
    could not be deleted (os.access: a read-only mount says no even to root)."""
    parent = next(p for p in out.parents if p.exists())
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UserError(f"--out {out}: cannot write to {parent} (permission denied or read-only)."
                        " Nothing was changed.")
    if not out.is_dir():
        return
    for folder, _dirs, _files in os.walk(out):
        if not os.access(folder, os.W_OK | os.X_OK):
            raise UserError(f"--out {out}: cannot replace it: {folder} is not writable "
                            "(permission denied or read-only). Nothing was changed.")


# --- one build per output folder ---------------------------------------------------------

def lock_path(out_dir: Path) -> Path:
    out = out_dir.resolve()
    return out.parent / f".{out.name}.lock"


@contextmanager
def output_lock(out_dir: Path) -> Iterator[Path]:
    """Hold the output folder's lock for a whole build; clean a killed build's leftovers."""
    out, lock = out_dir.resolve(), lock_path(out_dir)
    fd = _acquire(lock, out)
    try:
        _clean_leftovers(out)
        yield lock
    finally:
        _release(lock, fd)


def _acquire(lock: Path, out: Path) -> int:
    busy = UserError(f"another build is writing {out} (lock {lock}); wait for it to finish")
    for _attempt in range(5):
        try:
            lock.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise _os_error(exc, lock, "cannot create the build lock") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise busy from None
        except OSError as exc:  # e.g. a network file system without locks
            os.close(fd)
            raise _os_error(exc, lock, "cannot lock the output folder") from exc
        if _same_file(fd, lock):
            return fd
        os.close(fd)  # the previous holder removed the file as it finished: lock the new one
    raise busy


def _same_file(fd: int, path: Path) -> bool:
    try:
        here, there = os.fstat(fd), os.stat(path)
    except FileNotFoundError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _release(lock: Path, fd: int) -> None:
    """Remove the lock file while still holding it, so no litter stays next to the output;
    a build that opened the old file sees it is gone (_same_file) and locks a new one."""
    try:
        lock.unlink(missing_ok=True)
    finally:
        os.close(fd)


def _clean_leftovers(out: Path) -> None:
    """Only a build holding the lock may publish, so any staging/old folder of this output
    is a killed build's leftover. If it died between its two renames the output is missing
    and its .old folder is the previous output: put that back rather than delete it."""
    pattern = re.compile(rf"\.{re.escape(out.name)}\.(staging|old)-\d+")
    try:
        stale = [p for p in out.parent.iterdir()
                 if pattern.fullmatch(p.name) and p.is_dir() and not p.is_symlink()]
        olds = [p for p in stale if ".old-" in p.name]
        if olds and not out.exists():
            newest = max(olds, key=lambda p: p.stat().st_mtime)
            newest.rename(out)
            stale.remove(newest)
    except OSError as exc:
        raise _os_error(exc, out.parent, "cannot tidy a killed build's leftovers") from exc
    for folder in stale:
        shutil.rmtree(folder, ignore_errors=True)


# --- the swap ---------------------------------------------------------------------------

def publish(study: Study, outcome: Outcome, cache: Cache, options: BuildOptions) -> None:
    """Write to a staging folder, then swap it in with renames. The outcome holds every file
    the new output has (rebuilt, reused from the cache, or kept stale by --only); the cache
    goes along (hard links). Call it holding `output_lock`."""
    out = options.out_dir.resolve()
    # Again: a file may have been dropped into the output while the analyses ran.
    check_output_dir(study, out)
    staging = out.parent / f".{out.name}.staging-{os.getpid()}"
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    try:
        _stage(study, outcome, cache, out, staging)
        if out.exists():
            out.rename(old)
        staging.rename(out)
    except OSError as exc:
        _roll_back(out, staging, old)
        raise _os_error(exc, out, "could not write the build output; the previous output "
                        "is unchanged") from exc
    except BaseException:
        _roll_back(out, staging, old)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _stage(study: Study, outcome: Outcome, cache: Cache, out: Path, staging: Path) -> None:
    """Fill `staging` with the new output, its manifest, deliverables/SHA256SUMS and the
    cache."""
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    for rel, content in outcome.files.items():
        _write(staging / rel, content)
    previous = read_previous(out)
    manifest = as_manifest_json(study, outcome, previous).encode("utf-8")
    _write(staging / MANIFEST, manifest)
    hashes = {path: sha256_bytes(content) for path, content in outcome.files.items()}
    _write(staging / SUMS, deliverables_sums(hashes).encode("utf-8"))
    if cache.new_records or cache.root is not None:
        cache.write_into(staging / _CACHE)


def _write(target: Path, content: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)


def _roll_back(out: Path, staging: Path, old: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)
    if old.exists() and not out.exists():
        try:
            old.rename(out)
        except OSError as exc:
            raise UserError(f"{out}: the build failed and the previous output could not be "
                            f"moved back; it is intact in {old} (the next build restores it)"
                            ) from exc



def _os_error(exc: OSError, default: Path, what: str) -> UserError:
    """A file-system failure as a message naming the path (no traceback for a full disk or
    a read-only folder)."""
    where = exc.filename if exc.filename is not None else default
    return UserError(f"{where}: {what} ({exc.strerror or exc})")
