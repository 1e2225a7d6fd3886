"""A small valid bundle per test, copied from one built once per module."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from tests.support.synthetic_bundle import SyntheticBundle, build_bundle

ENTRIES = 120
STREAMS = 7


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> SyntheticBundle:
    return build_bundle(
        tmp_path_factory.mktemp("pristine") / "bag",
        entries=ENTRIES,
        streams=STREAMS,
        access_streams=2,
        foreign_every=5,
        earlier_sizes=(0, 40, 97),
    )


@pytest.fixture
def bundle(pristine: SyntheticBundle, tmp_path: Path) -> SyntheticBundle:
    copy = tmp_path / "bag"
    shutil.copytree(pristine.path, copy)
    return dataclasses.replace(pristine, path=copy)
