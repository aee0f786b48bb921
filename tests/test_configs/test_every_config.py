"""Every shipped config: it loads, and a config that trains scales its lr
with the total batch (DeiT's main.py always does; docs/training.md)."""
import pytest
from mmengine.config import Config

from tests.helpers.repo import ROOT

CONFIGS = sorted(path.relative_to(ROOT / 'configs').as_posix()
                 for path in (ROOT / 'configs').rglob('*.py')
                 if '_base_' not in path.parts)


def trains(cfg: Config) -> bool:
    return all(cfg.get(key) is not None
               for key in ('train_dataloader', 'optim_wrapper', 'train_cfg'))


@pytest.mark.parametrize('name', CONFIGS)
def test_training_configs_scale_the_lr_by_default(name):
    cfg = Config.fromfile(ROOT / 'configs' / name)
    if not trains(cfg):
        pytest.skip(f'{name} does not train (no optimizer or loop)')
    scaling = cfg.get('auto_scale_lr') or {}
    assert scaling.get('enable') is True, (
        f'{name}: auto_scale_lr = {dict(scaling)}, so the lr it states '
        'holds at any total batch')
    assert scaling.get('base_batch_size', 0) > 0, name


def test_the_shipped_configs_are_found():
    assert 'finetune/cifar10/deit-small_ft-8xb96_cifar10.py' in CONFIGS
    assert 'deit/deit-tiny_pt-4xb256_in1k.py' in CONFIGS
    assert len(CONFIGS) > 50
