"""Fixtures of the transform tests."""
import numpy as np
import pytest

from photo_images import make_photo


@pytest.fixture(scope='session')
def photo() -> np.ndarray:
    return make_photo()


@pytest.fixture(scope='session')
def dull_photo() -> np.ndarray:
    """Low contrast, so that AutoContrast and Equalize have work to do."""
    img = make_photo(seed=1).astype(np.float32) * 0.45 + 60
    return np.rint(img).astype(np.uint8)
