"""Checkpoints named by one of mmengine's schemes (``open-mmlab://``,
``torchvision://``...) are read by mmengine, whose download goes through
``torch.hub.load_state_dict_from_url(weights_only=False)``: the runner reads
them with ``weights_only`` forced all the same, so a pickle that runs code is
refused unless the config trusts it."""
import os

import pytest
import torch
from mmengine.runner.checkpoint import get_external_models

from mmdeit.checkpoint import CheckpointError
from mmdeit.checkpoint.files import forced_weights_only
from tests.helpers.tiny_runner import build_runner, tiny_config


class RunsCode:
    """Unpickling it calls ``os.system``: what a tampered checkpoint does."""

    def __init__(self, command: str):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command, )


@pytest.fixture
def cached_openmmlab_checkpoint(tmp_path, monkeypatch):
    """An ``open-mmlab://`` name whose file is already in torch hub's cache
    (so nothing is downloaded), holding a pickle that touches a marker."""
    name, url = sorted(get_external_models().items())[0]
    monkeypatch.setattr(torch.hub, '_hub_dir', str(tmp_path / 'hub'))
    cached = tmp_path / 'hub' / 'checkpoints' / os.path.basename(url)
    cached.parent.mkdir(parents=True)
    marker = tmp_path / 'ran'
    torch.save({'state_dict': {}, 'x': RunsCode(f'touch {marker}')}, cached)
    return f'open-mmlab://{name}', marker


def test_a_scheme_checkpoint_runs_nothing(tmp_path,
                                          cached_openmmlab_checkpoint):
    source, marker = cached_openmmlab_checkpoint
    runner = build_runner(tiny_config(tmp_path))
    with pytest.raises(CheckpointError, match='safe loading') as error:
        runner.load_checkpoint(source)
    assert not marker.exists()
    assert source in str(error.value)
    assert '--trust-checkpoint' in str(error.value)


def test_forced_weights_only_overrides_an_explicit_false(tmp_path):
    path = tmp_path / 'bad.pth'
    marker = tmp_path / 'ran'
    torch.save({'x': RunsCode(f'touch {marker}')}, path)
    with forced_weights_only(), pytest.raises(Exception):
        torch.load(path, weights_only=False)
    assert not marker.exists()
    # and only inside the context
    assert 'TORCH_FORCE_WEIGHTS_ONLY_LOAD' not in os.environ
