"""What tools/test.py and tools/train.py check in a config before the runner
builds the model: the parts a job uses, and the data."""
from pathlib import Path

import pytest
from mmengine.config import Config

from mmdeit.engine.run_config import check_data, for_testing
from mmdeit.utils import register_all_modules
from tests.helpers.image_folder import write_image_folder
from tests.helpers.repo import ROOT

# mmengine's Runner: each group all None or all set (Runner.__init__)
RUNNER_GROUPS = (('train_dataloader', 'train_cfg', 'optim_wrapper'),
                 ('val_dataloader', 'val_cfg', 'val_evaluator'),
                 ('test_dataloader', 'test_cfg', 'test_evaluator'))
CONFIGS = sorted(p for p in (ROOT / 'configs').rglob('*.py')
                 if '_base_' not in p.parts)


def test_every_shipped_config_is_testable():
    """tools/test.py takes every shipped config with a test part, the
    teacher's included (its _base_ brings a train_dataloader but no
    schedule, which mmengine refused)."""
    tested = 0
    for path in CONFIGS:
        cfg = Config.fromfile(path)
        if cfg.get('test_dataloader') is None:
            continue
        cfg = for_testing(cfg, str(path))
        for group in RUNNER_GROUPS:
            values = [cfg.get(key) is None for key in group]
            assert all(values) or not any(values), (path, group)
        assert cfg.get('param_scheduler') is None
        assert cfg.test_dataloader is not None and cfg.test_cfg is not None
        tested += 1
    assert tested >= 20


def test_teacher_config_had_an_incomplete_train_part():
    cfg = Config.fromfile(ROOT / 'configs/teachers/regnety-16gf_in1k.py')
    present = [cfg.get(key) is not None for key in RUNNER_GROUPS[0]]
    assert any(present) and not all(present)


def test_a_config_without_test_part_is_named():
    cfg = Config(dict(model=dict(type='ImageClassifier'),
                      test_dataloader=dict(batch_size=1)))
    with pytest.raises(ValueError, match=r'my_config.py has no '
                       r'test_evaluator'):
        for_testing(cfg, 'my_config.py')


def test_check_data_names_the_loader_and_path(tmp_path):
    register_all_modules(init_default_scope=False)
    write_image_folder(tmp_path / 'data', 2)
    cfg = Config(dict(
        train_dataloader=dict(dataset=dict(
            type='CustomDataset', data_root=str(tmp_path / 'data'),
            data_prefix='train', pipeline=[])),
        val_dataloader=dict(dataset=dict(
            type='CustomDataset', data_root=str(tmp_path / 'data'),
            data_prefix='nowhere', pipeline=[]))))
    check_data(cfg, ['train_dataloader'])
    with pytest.raises(FileNotFoundError) as error:
        check_data(cfg, ['train_dataloader', 'val_dataloader'])
    message = str(error.value)
    # the key at fault, its value, the path it gave
    assert message.startswith("val_dataloader.dataset.data_prefix='nowhere'")
    assert str(Path(tmp_path / 'data' / 'nowhere')) in message
    assert 'val_dataloader.dataset.data_root=DIR' in message
