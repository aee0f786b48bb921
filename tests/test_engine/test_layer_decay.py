"""Layer-wise lr decay: each parameter's lr scale against the formula
rate ** (num_layers + 1 - layer_id) and against timm's BEiT-style param
groups, DeiT's groups without weight decay kept, the NaN/inf guard kept."""
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from torch import nn

from mmdeit.apis import build_model_from_config
from mmdeit.checkpoint.layouts.timm import TIMM_TABLE
from mmdeit.engine.optimizers.non_finite import NonFiniteLossGuard
from mmdeit.utils import register_all_modules
from tests.helpers.tiny_runner import (build_runner, small_deit_overrides,
                                       tiny_config)

CONFIGS = Path(__file__).parents[2] / 'configs/deit'
RATE = 0.65
LAYERS = 3
LAYER_DECAY = dict(constructor='LayerDecayOptimWrapperConstructor',
                   paramwise_cfg=dict(layer_decay_rate=RATE))


def small_deit(distilled: bool):
    """The DeiT-tiny config (plain or distilled, no teacher) with 3 blocks
    of 32 dims, and its optim wrapper with layer decay merged in."""
    register_all_modules()
    name = 'deit-tiny-distilled_pt-4xb256_in1k.py' if distilled \
        else 'deit-tiny_pt-4xb256_in1k.py'
    cfg = Config.fromfile(CONFIGS / name)
    cfg.merge_from_dict(dict(small_deit_overrides(LAYERS),
                             optim_wrapper=LAYER_DECAY))
    if distilled:
        cfg.model.distillation = dict(type='none')
        cfg.model.pop('teacher')
    model = build_model_from_config(cfg)
    return model, build_optim_wrapper(model, cfg.optim_wrapper)


def per_parameter(model, optimizer) -> dict:
    """name -> (lr, weight decay, layer_id) of each parameter."""
    names = {id(p): n for n, p in model.named_parameters()}
    return {names[id(p)]: (group['lr'], group['weight_decay'],
                           group['layer_id'])
            for group in optimizer.param_groups for p in group['params']}


@pytest.mark.parametrize('distilled', [False, True])
def test_lr_scale_of_each_parameter_follows_the_formula(distilled):
    model, wrapper = small_deit(distilled)
    settings = per_parameter(model, wrapper.optimizer)
    assert set(settings) == {n for n, _ in model.named_parameters()}
    expected_ids = {'backbone.cls_token': 0, 'backbone.pos_embed': 0,
                    'backbone.patch_embed.projection.weight': 0,
                    'backbone.layers.0.attn.qkv.weight': 1,
                    'backbone.layers.2.ffn.fc2.bias': 3,
                    'backbone.norm.weight': 4, 'head.fc.weight': 4}
    if distilled:
        expected_ids.update({'backbone.dist_token': 0,
                             'head.fc_dist.weight': 4})
    for name, layer_id in expected_ids.items():
        assert settings[name][2] == layer_id, name
    for name, (lr, _, layer_id) in settings.items():
        assert lr == pytest.approx(5e-4 * RATE**(LAYERS + 1 - layer_id),
                                   rel=1e-12), name
    assert settings['head.fc.weight'][0] == 5e-4
    assert settings['backbone.cls_token'][0] == pytest.approx(
        5e-4 * 0.65**4)
    # DeiT's rule kept: no decay on 1-D parameters, tokens, pos embed
    no_decay = {n for n, (_, wd, _) in settings.items() if wd == 0}
    assert {'backbone.cls_token', 'backbone.pos_embed', 'backbone.norm.bias',
            'backbone.layers.1.ln1.weight', 'head.fc.bias'} <= no_decay
    assert 'backbone.layers.1.attn.qkv.weight' not in no_decay
    assert distilled == ('backbone.dist_token' in no_decay)


@pytest.mark.parametrize('distilled', [False, True])
def test_same_groups_as_timm_layer_decay(distilled):
    """timm's param_groups_layer_decay (BEiT's recipe, with DeiT's
    no_weight_decay()) on the same architecture: same lr scale and weight
    decay for every parameter but the final norm, which timm groups with
    the last block and BEiT's and MMPretrain's code (followed here) with
    the head."""
    timm = pytest.importorskip('timm')
    from timm.optim._param_groups import param_groups_layer_decay
    name = 'deit_tiny_distilled_patch16_224' if distilled \
        else 'deit_tiny_patch16_224'
    reference = timm.create_model(name, img_size=32, embed_dim=32,
                                  depth=LAYERS, num_heads=2, mlp_ratio=2,
                                  num_classes=10)
    groups = param_groups_layer_decay(
        reference, weight_decay=0.05,
        no_weight_decay_list=reference.no_weight_decay(), layer_decay=RATE)
    timm_names = {id(p): n for n, p in reference.named_parameters()}
    theirs = TIMM_TABLE.to_mmdeit({timm_names[id(p)]: (g['lr_scale'],
                                                       g['weight_decay'])
                                   for g in groups for p in g['params']})
    model, wrapper = small_deit(distilled)
    ours = {name: (lr / 5e-4, wd) for name, (lr, wd, _) in
            per_parameter(model, wrapper.optimizer).items()}
    assert set(ours) == set(theirs)
    for name, (scale, decay) in theirs.items():
        if name.startswith('backbone.norm.'):
            assert (scale, ours[name]) == (RATE, (1.0, 0.0))
            continue
        assert ours[name] == (pytest.approx(scale, rel=1e-12), decay), name


def test_bad_rate_and_model_are_refused():
    model, _ = small_deit(distilled=False)
    with pytest.raises(ValueError, match=r'layer_decay_rate=1.5: must be in '
                       r'\(0, 1\]'):
        build_optim_wrapper(model, dict(
            optimizer=dict(type='AdamW', lr=5e-4),
            constructor='LayerDecayOptimWrapperConstructor',
            paramwise_cfg=dict(layer_decay_rate=1.5)))
    with pytest.raises(TypeError, match='backbone.layers'):
        build_optim_wrapper(nn.Linear(2, 2), dict(
            optimizer=dict(type='AdamW', lr=5e-4), **LAYER_DECAY))


def test_runner_keeps_the_non_finite_guard(tmp_path):
    cfg = tiny_config(tmp_path, optim_wrapper=LAYER_DECAY)
    runner = build_runner(cfg)
    wrapper = runner.build_optim_wrapper(cfg.optim_wrapper)
    assert isinstance(wrapper, NonFiniteLossGuard)
    assert {g['layer_id'] for g in wrapper.optimizer.param_groups} == {
        0, 1, 2}
