"""DeiT III exports to timm's layout and is refused, by name, for
transformers, which has no such model."""
import pytest
import torch

import mmdeit
from mmdeit.checkpoint import CheckpointError, save_hf, save_timm

TINY = dict(backbone=dict(arch=dict(embed_dims=32, num_layers=2, num_heads=2,
                                    feedforward_channels=64),
                          img_size=32),
            head=dict(in_channels=32))


def test_timm_names(tmp_path):
    model = mmdeit.get_model('deit3-small-p16_64xb64_in1k', **TINY)
    path = save_timm(model.state_dict(), str(tmp_path / 'deit3.pth'))
    state = torch.load(path)['model']
    assert state['blocks.1.ls2.gamma'].shape == (32, )
    assert state['pos_embed'].shape == (1, 4, 32)
    assert not any('gamma_' in key for key in state)


def test_no_transformers_export(tmp_path):
    model = mmdeit.get_model('deit3-small-p16_64xb64_in1k', **TINY)
    with pytest.raises(CheckpointError, match='DeiT III.*export it to timm'):
        save_hf(model, str(tmp_path / 'hf'))
