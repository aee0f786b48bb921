"""Parameter groups of the DeiT schedule against the official rule, and the
bf16 autocast optim wrapper."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from torch import nn

from mmdeit.apis import build_model_from_config
from mmdeit.checkpoint.layouts.timm import TIMM_TABLE
from mmdeit.engine import AutocastOptimWrapper
from mmdeit.utils import register_all_modules

CONFIGS = Path(__file__).parents[2] / 'configs'


def build_deit_small(distilled: bool):
    """DeiT-small, with the distillation token and head when ``distilled``
    (the student alone: the teacher has no parameters in the student)."""
    register_all_modules()
    cfg = Config.fromfile(CONFIGS / 'deit/deit-small_pt-4xb256_in1k.py')
    if distilled:
        cfg.model.backbone.type = 'DistilledVisionTransformer'
        cfg.model.head.type = 'DeiTClsHead'
    model = build_model_from_config(cfg)
    return model, build_optim_wrapper(model, cfg.optim_wrapper)


def names_without_decay(model: nn.Module, optimizer) -> set:
    names = {id(p): n for n, p in model.named_parameters()}
    return {names[id(p)] for group in optimizer.param_groups
            if group['weight_decay'] == 0 for p in group['params']}


def official_names_without_decay(timm_name: str) -> set:
    """The official DeiT optimizer (timm's create_optimizer with the model's
    no_weight_decay(): 1-D parameters, biases, tokens, position embedding),
    its parameter names mapped to mmdeit's."""
    timm = pytest.importorskip('timm')
    from timm.optim import create_optimizer_v2
    model = timm.create_model(timm_name)
    optimizer = create_optimizer_v2(model, 'adamw', lr=1e-3,
                                    weight_decay=0.05)
    skipped = names_without_decay(model, optimizer)
    return set(TIMM_TABLE.to_mmdeit(dict.fromkeys(skipped)))


@pytest.mark.parametrize('distilled', [False, True])
def test_no_decay_groups_match_official(distilled):
    model, wrapper = build_deit_small(distilled)
    ours = names_without_decay(model, wrapper.optimizer)
    # per block: ln1 and ln2 (weight, bias), biases of qkv, proj, fc1, fc2
    per_block = {f'backbone.layers.{i}.{n}' for i in range(12) for n in (
        'ln1.weight', 'ln1.bias', 'ln2.weight', 'ln2.bias', 'attn.qkv.bias',
        'attn.proj.bias', 'ffn.fc1.bias', 'ffn.fc2.bias')}
    expected = per_block | {
        'backbone.cls_token', 'backbone.pos_embed',
        'backbone.patch_embed.projection.bias', 'backbone.norm.weight',
        'backbone.norm.bias', 'head.fc.bias'}
    if distilled:
        expected |= {'backbone.dist_token', 'head.fc_dist.bias'}
    assert ours == expected
    assert len(ours) == (104 if distilled else 102)
    timm_name = 'deit_small_distilled_patch16_224' if distilled \
        else 'deit_small_patch16_224'
    assert ours == official_names_without_decay(timm_name)

    decayed = {n for n, _ in model.named_parameters()} - ours
    assert len(decayed) == (51 if distilled else 50)
    for group in wrapper.optimizer.param_groups:
        assert group['weight_decay'] in (0, 0.05)
        # stated for 512 images; the runner scales it to the total batch
        assert group['lr'] == 5e-4 and group['eps'] == 1e-8
    assert isinstance(wrapper.optimizer, torch.optim.AdamW)


def test_autocast_wrapper_runs_forward_in_bfloat16():
    model = nn.Linear(4, 2)
    wrapper = AutocastOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        device_type='cpu', clip_grad=dict(max_norm=1.0))
    before = model.weight.detach().clone()
    with wrapper.optim_context(model):
        out = model(torch.randn(3, 4))
    assert out.dtype == torch.bfloat16
    wrapper.update_params(out.float().pow(2).sum() * 100)
    assert model.weight.dtype == torch.float32
    assert model.weight.grad is None  # zeroed after the step
    # the step is clipped to norm 1 at lr 0.1
    assert (model.weight - before).norm() <= 0.1 + 1e-6


@pytest.mark.parametrize('device,bf16,expected', [
    ('cpu', False, dict(type='AutocastOptimWrapper', device_type='cpu',
                        dtype='bfloat16')),
    ('cuda', False, dict(type='AmpOptimWrapper', loss_scale='dynamic')),
    ('cuda', True, dict(type='AutocastOptimWrapper', device_type='cuda',
                        dtype='bfloat16')),
])
def test_mixed_precision_cfg_is_what_amp_trains_with(device, bf16, expected):
    """``tools/train.py --amp`` and the GPU check build the same wrapper:
    fp16 AMP with loss scaling on CUDA, bf16 autocast elsewhere."""
    from mmdeit.engine.optimizers import mixed_precision_cfg
    optimizer = dict(type='AdamW', lr=1e-3)
    cfg = mixed_precision_cfg(dict(optimizer=optimizer), device, bf16=bf16)
    assert cfg == dict(optimizer=optimizer, **expected)
    # a dtype the user set (--cfg-options optim_wrapper.dtype=float16) and
    # a wrapper already mixed are kept
    assert mixed_precision_cfg(dict(dtype='float16'), 'cpu')['dtype'] == \
        'float16'
    mixed = dict(type='AmpOptimWrapper', loss_scale=512.)
    assert mixed_precision_cfg(dict(mixed), device) == mixed
