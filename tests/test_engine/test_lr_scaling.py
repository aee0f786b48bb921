"""The lr follows the total batch by default (DeiT's main.py: 5e-4 x total
batch / 512); warm-up start and minimum stay absolute; auto_scale_lr
enable=False is respected."""
import json
import re
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from torch import nn

from mmdeit.engine.optimizers.lr_scaling import scale_lr
from tests.helpers.image_folder import write_image_folder
from tests.helpers.tiny_runner import build_runner, log_text, tiny_config

CONFIGS = Path(__file__).parents[2] / 'configs/deit'


def processes_and_batch(name: str):
    """'deit-small_pt-4xb256_in1k.py' -> (4, 256)."""
    processes, batch = re.search(r'(\d+)xb(\d+)', name).groups()
    return int(processes), int(batch)


def small_wrapper(cfg: Config):
    """The config's optim wrapper over a module with 1-D and 2-D
    parameters (several param groups, as in a real model)."""
    module = nn.Sequential(nn.Linear(4, 4), nn.LayerNorm(4))
    return build_optim_wrapper(module, cfg.optim_wrapper)


@pytest.mark.parametrize('config', sorted(p.name for p in
                                          CONFIGS.glob('deit-*.py')))
def test_every_deit_config_scales_like_main_py(config):
    cfg = Config.fromfile(CONFIGS / config)
    assert cfg.auto_scale_lr == dict(base_batch_size=512, enable=True)
    processes, batch = processes_and_batch(config)
    assert cfg.train_dataloader.batch_size == batch
    stated = 5e-6 if '384px' in config else 5e-4  # official, per 512 images
    for world_size in (processes, 1):
        wrapper = small_wrapper(cfg)
        scale_lr(wrapper, cfg.auto_scale_lr, batch, world_size)
        for group in wrapper.optimizer.param_groups:
            assert group['lr'] == pytest.approx(
                stated * world_size * batch / 512, rel=1e-12)
    # the absolute ends of the schedule are in the scheduler, untouched
    scheduler, = cfg.param_scheduler
    assert (scheduler.warmup_start_lr, scheduler.eta_min) == (
        1e-6, 5e-6 if '384px' in config else 1e-5)


def test_accumulated_iterations_count_in_the_batch():
    cfg = Config.fromfile(CONFIGS / 'deit-tiny_pt-4xb256_in1k.py')
    cfg.optim_wrapper.accumulative_counts = 4
    wrapper = small_wrapper(cfg)
    line = scale_lr(wrapper, cfg.auto_scale_lr, 64, 2)
    assert wrapper.optimizer.param_groups[0]['lr'] == pytest.approx(
        5e-4 * 2 * 64 * 4 / 512)
    assert 'total batch 512 (2 processes x 64 images x 4 accumulated)' in line
    with pytest.raises(KeyError, match='base_batch_size'):
        scale_lr(small_wrapper(cfg), dict(enable=True), 64, 2)


def train_one_epoch(tmp_path, **options):
    """The user config over DeiT-tiny at batch 32 on one process: 64
    images, one epoch of two iterations."""
    write_image_folder(tmp_path / 'data', 2, (('train', 32), ('val', 1)))
    cfg = tiny_config(tmp_path, **{'train_dataloader.batch_size': 32,
                                   'train_cfg.max_epochs': 1, **options})
    runner = build_runner(cfg)
    runner.train()
    logged = [json.loads(line) for path in
              (tmp_path / 'work').glob('*/vis_data/scalars.json')
              for line in path.read_text().splitlines()]
    return runner, [r for r in logged if 'lr' in r], log_text(
        tmp_path / 'work')


def test_user_config_at_batch_32_trains_at_the_scaled_lr(tmp_path):
    runner, logged, log = train_one_epoch(tmp_path)
    scaled = 3.125e-5  # 5e-4 x 32 / 512
    groups = runner.optim_wrapper.optimizer.param_groups
    assert len(groups) > 1
    for group in groups:
        assert group['initial_lr'] == pytest.approx(scaled, rel=1e-12)
    # 5 warm-up epochs of two iterations from the absolute 1e-6: the
    # second iteration trains and logs lr(1); base_lr (the wrapper's record
    # of the base lr, unscaled in mmengine) logs the same
    after_one = 1e-6 + (scaled - 1e-6) / 10
    assert [r['lr'] for r in logged] == pytest.approx([1e-6, after_one],
                                                      rel=1e-9)
    assert [r['base_lr'] for r in logged] == pytest.approx(
        [1e-6, after_one], rel=1e-9)
    for group in groups:
        assert group['lr'] == pytest.approx(1e-6 + (scaled - 1e-6) * 2 / 10,
                                            rel=1e-9)
    assert runner.optim_wrapper.base_param_settings['initial_lr'] == \
        pytest.approx(scaled, rel=1e-12)
    assert ('lr scaled with the batch: base lr 0.0005 for a total batch of '
            '512, total batch 32 (1 process x 32 images) -> lr 3.125e-05'
            ) in log
    # the runner says what it swapped in mmengine's place
    assert ('train loop: EpochBasedTrainLoop -> ResumableEpochBasedTrainLoop'
            ' (resumes mid-epoch bit-exactly)') in log
    assert ('optim wrapper: OptimWrapper -> OptimWrapper with '
            'NonFiniteLossGuard') in log


def test_enable_false_in_a_config_is_respected(tmp_path):
    runner, logged, log = train_one_epoch(
        tmp_path, **{'auto_scale_lr.enable': False})
    for group in runner.optim_wrapper.optimizer.param_groups:
        assert group['initial_lr'] == 5e-4
    assert runner.optim_wrapper.base_param_settings['initial_lr'] == 5e-4
    assert 'lr 0.0005 as configured (auto_scale_lr off), total batch 32' \
        in log
