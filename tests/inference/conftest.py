"""Fixtures for the inference tests. The models come from the normal cache (fetched once,
for real, by the session `analyzer` fixture in tests/conftest.py); tests that need to damage
a model or a wheel work on copies in tmp_path."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from lfr.assets import ModelSet, ensure_models
from lfr.imageio import load_image


@pytest.fixture(scope="session")
def model_set(analyzer) -> ModelSet:
    return ensure_models()


@pytest.fixture(scope="session")
def examples(sample_data: Path) -> Path:
    return sample_data / "face_recognition" / "examples"


@pytest.fixture(scope="session")
def obama(examples: Path) -> np.ndarray:
    return load_image(examples / "obama.jpg")


@pytest.fixture(scope="session")
def two_people(examples: Path) -> np.ndarray:
    return load_image(examples / "two_people.jpg")
