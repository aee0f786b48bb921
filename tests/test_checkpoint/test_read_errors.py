"""Unreadable checkpoints fail with the path named, and safe loading
refuses arbitrary objects unless the file is trusted explicitly."""
import argparse
import fractions

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
                'extra': fractions.Fraction(1, 3)}, path)
    with pytest.raises(CheckpointError, match='trusted=True'):
        read_checkpoint(str(path))
    loaded = read_checkpoint(str(path), trusted=True)
    assert loaded['extra'] == fractions.Fraction(1, 3)
    assert torch.equal(loaded['model']['w'], torch.ones(2))


def test_unsafe_file_error_is_one_line_naming_the_ways_to_trust(tmp_path):
    """The refused type and every way to trust the file, without torch's
    whole message and its terminal colour codes."""
    path = tmp_path / 'pickled.pth'
    torch.save({'extra': fractions.Fraction(1, 3)}, path)
    with pytest.raises(CheckpointError) as error:
        read_checkpoint(str(path))
    message = str(error.value)
    assert message.startswith(f'cannot read checkpoint {path}: it holds an '
                              'object of type fractions.Fraction, which ')
    assert '\x1b' not in message and '\n' not in message
    assert len(message) < 600
    for way in ('--trust-checkpoint', 'trust_checkpoint = True',
                'trusted=True'):
        assert way in message


def test_official_training_checkpoint_reads_without_trust(tmp_path):
    """The official DeiT code saves its command line (an argparse
    Namespace) beside the weights, optimizer and schedule."""
    model = torch.nn.Linear(4, 3)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4)
    model(torch.randn(2, 4)).sum().backward()
    optimizer.step()
    args = argparse.Namespace(model='deit_small_patch16_224', lr=5e-4,
                              batch_size=256, smoothing=0.1, resume='',
                              teacher_model='regnety_160', input_size=224,
                              mixup_switch_prob=0.5, drop_path=0.1,
                              device='cuda', distributed=True, seed=0,
                              opt_betas=None, color_jitter=0.3,
                              data_path='/datasets/imagenet', epochs=300)
    path = tmp_path / 'checkpoint.pth'
    torch.save({'model': model.state_dict(),
                'optimizer': optimizer.state_dict(),
                'lr_scheduler': {'last_epoch': 3}, 'epoch': 3,
                'model_ema': model.state_dict(), 'scaler': {'scale': 65536.0},
                'args': args}, path)
    loaded = read_checkpoint(str(path))
    assert loaded['args'] == args
    assert torch.equal(loaded['model']['weight'], model.weight)
    assert loaded['optimizer']['state'][0]['step'] == 1
