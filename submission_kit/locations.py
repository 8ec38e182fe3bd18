"""Where a study's programs live: spec and template folders, the study's own first, then the
bundled library. Kept free of heavy imports, because the up-to-date check of a build (which
must not import pandas) finds the spec files it hashes here."""

from __future__ import annotations

from pathlib import Path

from submission_kit.errors import UserError
from submission_kit.study import OutputConfig, Study

BUNDLED = Path(__file__).resolve().parent / "bundled"


def spec_dirs(study: Study, kind: str) -> tuple[Path, ...]:
    """The study's own spec folders first, then the bundled library."""
    return (*study.spec_dirs, BUNDLED / f"{kind}s")


def template_dirs(study: Study) -> list[Path]:
    return [*study.template_dirs, BUNDLED / "templates"]


REFERENCE_DOCX = "reference.docx"  # the DOCX style source (a company's Word template)


def reference_docx_path(study: Study) -> Path:
    """The study's own templates/reference.docx, else the shipped one."""
    own = [d / REFERENCE_DOCX for d in study.template_dirs if (d / REFERENCE_DOCX).is_file()]
    return own[0] if own else BUNDLED / "templates" / REFERENCE_DOCX


def study_reference_docx(study: Study) -> bytes:
    """The bytes of the study's own reference.docx; b"" when it uses the shipped one."""
    path = reference_docx_path(study)
    return b"" if path.parent == BUNDLED / "templates" else path.read_bytes()


def find_spec_file(config: OutputConfig, study: Study) -> Path:
    """`spec = "t_14_1_3"` finds t_14_1_3.py or the one t_14_1_3_<name>.py in a folder."""
    for folder in spec_dirs(study, config.kind):
        exact = folder / f"{config.spec}.py"
        candidates = [exact] if exact.is_file() else sorted(folder.glob(f"{config.spec}_*.py"))
        if len(candidates) > 1:
            raise UserError(f"{study.path}: {config.where}: spec {config.spec!r} is ambiguous "
                            f"in {folder}: {', '.join(p.name for p in candidates)}; "
                            "name one with spec = \"...\"")
        if candidates:
            return candidates[0]
    searched = ", ".join(str(d) for d in spec_dirs(study, config.kind))
    raise UserError(f"{study.path}: {config.where}: no spec {config.spec!r} "
                    f"(looked for {config.spec}.py in {searched})")
