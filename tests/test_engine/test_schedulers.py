"""The DeiT lr schedule against timm's CosineLRScheduler, which the official
DeiT builds with t_initial=300, lr_min=1e-5, warmup_t=5, warmup_lr_init=1e-6
and warmup_prefix=False."""
import math
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmdeit.engine import WarmupCosineLR
from mmdeit.registry import PARAM_SCHEDULERS
from mmdeit.utils import register_all_modules

timm_scheduler = pytest.importorskip('timm.scheduler')

SCHEDULE = Path(__file__).parents[2] / \
    'configs/_base_/schedules/imagenet_bs1024_adamw_deit.py'
ITERS_PER_EPOCH = 7
BASE_LR = 1e-3


def optimizer(lr=BASE_LR):
    return torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=lr)


def ours_per_iteration(lr=BASE_LR):
    """lr of every training iteration of the config's schedule (300 epochs),
    built as the runner builds it (epoch-based config converted to
    iterations)."""
    register_all_modules()
    cfg = Config.fromfile(SCHEDULE)
    opt = optimizer(lr)
    scheduler = PARAM_SCHEDULERS.build(
        cfg.param_scheduler[0],
        default_args=dict(optimizer=opt, epoch_length=ITERS_PER_EPOCH))
    values = []
    for _ in range(300 * ITERS_PER_EPOCH):
        values.append(opt.param_groups[0]['lr'])
        opt.step()
        scheduler.step()
    return values


def timm_cosine(opt, scale=1, t_in_epochs=True):
    return timm_scheduler.CosineLRScheduler(
        opt, t_initial=300 * scale, lr_min=1e-5, warmup_t=5 * scale,
        warmup_lr_init=1e-6, warmup_prefix=False, cycle_limit=1,
        t_in_epochs=t_in_epochs)


def test_equals_timm_at_every_epoch_start():
    ours = ours_per_iteration()
    opt = optimizer()
    official = timm_cosine(opt)
    for epoch in range(300):
        official.step(epoch)
        assert ours[epoch * ITERS_PER_EPOCH] == pytest.approx(
            opt.param_groups[0]['lr'], rel=1e-9, abs=1e-15), epoch


def test_equals_timm_per_iteration():
    """Within an epoch the lr follows timm's formula at fractional epochs,
    i.e. timm's scheduler counted in updates (t_in_epochs=False) with every
    length multiplied by the iterations per epoch."""
    ours = ours_per_iteration()
    opt = optimizer()
    official = timm_cosine(opt, scale=ITERS_PER_EPOCH, t_in_epochs=False)
    for step, value in enumerate(ours):
        official.step_update(step)
        assert value == pytest.approx(opt.param_groups[0]['lr'], rel=1e-9,
                                      abs=1e-15), step


def test_known_values_and_non_prefix_warmup():
    ours = ours_per_iteration()
    at = {epoch: ours[int(epoch * ITERS_PER_EPOCH)]
          for epoch in (0, 5, 150, 299)}
    assert at[0] == pytest.approx(1e-6)
    # inside the warm-up the lr moves every iteration
    mid = ours[int(2.5 * ITERS_PER_EPOCH)]
    assert mid == pytest.approx(1e-6 + (BASE_LR - 1e-6) *
                                int(2.5 * ITERS_PER_EPOCH) /
                                (5 * ITERS_PER_EPOCH))
    # after warm-up the cosine is evaluated at epoch 5 of 300, not at 0
    assert at[5] == pytest.approx(
        1e-5 + 0.5 * (BASE_LR - 1e-5) * (1 + math.cos(math.pi * 5 / 300)))
    assert at[5] < BASE_LR * 0.9994
    assert at[150] == pytest.approx((BASE_LR + 1e-5) / 2)
    # the last iteration, 1/7 epoch before the end of the cosine
    assert ours[-1] == pytest.approx(1e-5 + 0.5 * (BASE_LR - 1e-5) * (
        1 + math.cos(math.pi * (300 - 1 / ITERS_PER_EPOCH) / 300)))
    assert at[299] > ours[-1] > 1e-5
    # the peak: the warm-up ends just short of the base lr, so the first
    # cosine value is the largest lr of the run
    assert max(ours) == at[5]


def test_scaled_base_lr_keeps_absolute_ends():
    """Scaling the lr with the batch changes the optimizer's lr only: the
    warm-up start and the final lr stay 1e-6 and 1e-5 (as the official
    linear scaling)."""
    ours = ours_per_iteration(lr=4e-3)
    assert ours[0] == pytest.approx(1e-6)
    assert ours[-1] == pytest.approx(1e-5, rel=1e-3)
    assert ours[150 * ITERS_PER_EPOCH] == pytest.approx((4e-3 + 1e-5) / 2)


def test_epoch_based_and_invalid_lengths():
    opt = optimizer()
    scheduler = WarmupCosineLR(opt, T_max=10, eta_min=0., warmup_length=2,
                               warmup_start_lr=0.)
    values = []
    for _ in range(12):
        values.append(opt.param_groups[0]['lr'])
        opt.step()
        scheduler.step()
    assert values[:3] == pytest.approx([0, BASE_LR / 2, BASE_LR * 0.5 * (
        1 + math.cos(math.pi * 2 / 10))])
    assert values[10:] == [0., 0.]
    with pytest.raises(ValueError):
        WarmupCosineLR(optimizer(), T_max=5, warmup_length=6)
    with pytest.raises(ValueError, match='needs a value or a finite end'):
        WarmupCosineLR(optimizer(), warmup_length=1)


def test_without_t_max_the_cosine_spans_the_training():
    """No T_max: the cosine ends where the schedule does, as mmengine's
    CosineAnnealingLR; converted to iterations (the runner sets ``end`` to
    the training's epochs), the same values as with T_max given."""
    def values(**length):
        opt = optimizer()
        scheduler = WarmupCosineLR.build_iter_from_epoch(
            opt, eta_min=1e-5, warmup_length=0.5, warmup_start_lr=1e-6,
            end=3, epoch_length=4, **length)
        lrs = []
        for _ in range(12):
            lrs.append(opt.param_groups[0]['lr'])
            opt.step()
            scheduler.step()
        return scheduler, lrs

    implicit, implicit_lrs = values()
    explicit, explicit_lrs = values(T_max=3)
    assert implicit.T_max == explicit.T_max == 12
    assert implicit_lrs == explicit_lrs
    assert implicit_lrs[7] == pytest.approx(1e-5 + 0.5 * (BASE_LR - 1e-5) * (
        1 + math.cos(math.pi * 7 / 12)))


INAT_SCHEDULE = Path(__file__).parents[2] / \
    'configs/_base_/schedules/adamw_bs768_360e_inat.py'
DEIT_TINY = Path(__file__).parents[2] / \
    'configs/deit/deit-tiny_pt-4xb256_in1k.py'
RATE, LAYERS = 0.65, 3


def layer_decay_run(schedule: Path, total_batch: int):
    """A 3-block DeiT with layer-wise lr decay 0.65 and the schedule's
    optimizer, lr scaled with the batch (the runner's ``scale_lr``), and
    the schedule's scheduler as the runner builds it, iteration-based."""
    from mmengine.optim import build_optim_wrapper

    from mmdeit.apis import build_model_from_config
    from mmdeit.engine.optimizers.lr_scaling import scale_lr
    register_all_modules()
    model_cfg = Config.fromfile(DEIT_TINY)
    model_cfg.merge_from_dict({
        'model.backbone.arch': dict(_delete_=True, embed_dims=32,
                                    num_layers=LAYERS, num_heads=2,
                                    feedforward_channels=64),
        'model.backbone.img_size': 32, 'model.head.in_channels': 32})
    model = build_model_from_config(model_cfg)
    cfg = Config.fromfile(schedule)
    optim_wrapper = cfg.optim_wrapper
    optim_wrapper.constructor = 'LayerDecayOptimWrapperConstructor'
    optim_wrapper.paramwise_cfg.layer_decay_rate = RATE
    wrapper = build_optim_wrapper(model, optim_wrapper)
    base = cfg.auto_scale_lr.base_batch_size
    scale_lr(wrapper, dict(base_batch_size=base, enable=True), total_batch,
             1)
    scheduler = PARAM_SCHEDULERS.build(
        cfg.param_scheduler[0],
        default_args=dict(optimizer=wrapper, epoch_length=ITERS_PER_EPOCH))
    return cfg, wrapper, scheduler


@pytest.mark.parametrize('schedule, total_batch', [(SCHEDULE, 1024),
                                                   (INAT_SCHEDULE, 96)],
                         ids=['deit', 'inat'])
def test_layer_decay_holds_at_every_iteration(schedule, total_batch):
    """Each group's lr is its layer's scale times the schedule's lr, from
    the first warm-up iteration to the last (timm multiplies the scheduled
    lr by each group's ``lr_scale``), so the warm-up start and the minimum
    lr are scaled too; timm's scheduler with the same groups agrees."""
    cfg, wrapper, scheduler = layer_decay_run(schedule, total_batch)
    epochs = cfg.train_cfg.max_epochs
    groups = wrapper.optimizer.param_groups
    scales = [RATE**(LAYERS + 1 - group['layer_id']) for group in groups]
    assert min(scales) == pytest.approx(RATE**4)
    base_lr = cfg.optim_wrapper.optimizer.lr * total_batch / \
        cfg.auto_scale_lr.base_batch_size
    reference = torch.optim.AdamW(
        [dict(params=[torch.nn.Parameter(torch.zeros(1))], lr=base_lr,
              lr_scale=scale) for scale in scales], lr=base_lr)
    official = timm_cosine(reference, scale=ITERS_PER_EPOCH,
                           t_in_epochs=False)
    official.t_initial = epochs * ITERS_PER_EPOCH
    for step in range(epochs * ITERS_PER_EPOCH):
        official.step_update(step)
        head = wrapper.base_param_settings['lr']
        for group, scale, theirs in zip(groups, scales,
                                        reference.param_groups):
            assert group['lr'] == pytest.approx(scale * head, rel=1e-9), step
            assert group['lr'] == pytest.approx(theirs['lr'], rel=1e-9,
                                                abs=1e-15), step
        wrapper.optimizer.step()
        scheduler.step()
    # the schedule's ends, per group
    assert head == pytest.approx(1e-5, rel=1e-3)
    assert groups[scales.index(min(scales))]['lr'] == pytest.approx(
        1e-5 * RATE**4, rel=1e-3)
