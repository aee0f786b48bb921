import logging

import pytest
import torch
from mmengine.logging import MMLogger


def pytest_configure(config):
    config.addinivalue_line(
        'markers', 'cuda: needs a CUDA GPU (skipped without one; '
        'tools/analysis_tools/gpu_check.sh runs them)')


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason='needs a CUDA GPU')
    for item in items:
        if 'cuda' in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True, scope='session')
def quiet_mmengine():
    """mmengine logs every parameter's initialisation at INFO; keep test
    output readable."""
    logger = MMLogger.get_instance('mmengine')
    logger.setLevel(logging.WARNING)
    yield
