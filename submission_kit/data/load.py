"""Load the datasets a build needs, checked against every output's declared needs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from submission_kit.buildgraph import sha256_file
from submission_kit.data.contracts import (
    DatasetNeed,
    merge_needs,
    require_dataset,
    require_subjects_in_adsl,
)
from submission_kit.data.io import read_dataset
from submission_kit.study import Study


@dataclass(frozen=True, slots=True)
class StudyData:
    frames: Mapping[str, pd.DataFrame]
    paths: Mapping[str, Path]
    sha256: Mapping[str, str]  # dataset -> sha256 of the file read: provenance for every number


def load_study_data(study: Study, declared: Iterable[DatasetNeed]) -> StudyData:
    """Read every dataset the study declares once, check it against what the outputs need
    (a dataset no output reads yet is still read and checked: it is part of the submission),
    then check subjects against ADSL."""
    everyone = [DatasetNeed(s.name, (), subject_level=s.name == "adsl") for s in study.datasets]
    merged = merge_needs([*everyone, *declared])
    frames, paths, hashes = {}, {}, {}
    for name in sorted(merged):
        source = study.dataset(name)
        raw = read_dataset(source.path)
        frames[name] = require_dataset(raw, merged[name], source.path)
        paths[name] = source.path
        hashes[name] = sha256_file(source.path)
    require_subjects_in_adsl(frames, paths)
    return StudyData(frames=frames, paths=paths, sha256=hashes)
