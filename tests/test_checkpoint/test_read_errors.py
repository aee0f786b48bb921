"""Unreadable checkpoints fail with the path named, and safe loading
refuses arbitrary objects unless the file is trusted explicitly."""
import argparse

import pytest
import torch

from mmdeit.checkpoint import CheckpointError, read_checkpoint


def test_truncated_pth_names_the_path(tmp_path):
    path = tmp_path / 'weights.pth'
    torch.save({'model': {'w': torch.randn(64, 64)}}, path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(CheckpointError, match=str(path)):
        read_checkpoint(str(path))


def test_truncated_safetensors_names_the_path(tmp_path):
    from safetensors.torch import save_file
    path = tmp_path / 'model.safetensors'
    save_file({'w': torch.randn(64, 64)}, str(path))
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CheckpointError, match=str(path)):
        read_checkpoint(str(path))


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match='nothing-here.pth'):
        read_checkpoint(str(tmp_path / 'nothing-here.pth'))


def test_arbitrary_objects_need_an_explicit_trust(tmp_path):
    path = tmp_path / 'pickled.pth'
    torch.save({'model': {'w': torch.ones(2)},
                'args': argparse.Namespace(lr=5e-4)}, path)
    with pytest.raises(CheckpointError, match='trusted=True'):
        read_checkpoint(str(path))
    loaded = read_checkpoint(str(path), trusted=True)
    assert loaded['args'].lr == 5e-4
    assert torch.equal(loaded['model']['w'], torch.ones(2))
