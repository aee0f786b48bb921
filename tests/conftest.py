import logging

import pytest
from mmengine.logging import MMLogger


@pytest.fixture(autouse=True, scope='session')
def quiet_mmengine():
    """mmengine logs every parameter's initialisation at INFO; keep test
    output readable."""
    logger = MMLogger.get_instance('mmengine')
    logger.setLevel(logging.WARNING)
    yield
