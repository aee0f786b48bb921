"""One param group per distinct setting: every parameter keeps the lr and
weight decay mmengine's one-group-per-parameter constructor gives it (and
the layer-wise decay formula), the schedulers move every parameter's lr as
before, and fused / foreach AdamW over the merged groups take the same steps
as torch's per-parameter loop over mmengine's groups."""
import copy
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from torch import nn

from mmdeit.apis import build_model_from_config
from mmdeit.engine.optimizers.param_groups import (merge_param_groups,
                                                 regroup_saved_state)
from mmdeit.registry import PARAM_SCHEDULERS
from mmdeit.utils import register_all_modules
from tests.helpers.tiny_runner import (build_runner, log_text,
                                       small_deit_overrides, tiny_config)

CONFIGS = Path(__file__).parents[2] / 'configs'
SETTINGS = ('lr', 'weight_decay', 'eps', 'betas')


def small_model(config: str, distilled: bool = False, layers: int = 3):
    """The model of ``config`` with ``layers`` blocks of 32 dims, and the
    config."""
    register_all_modules()
    cfg = Config.fromfile(CONFIGS / config)
    cfg.merge_from_dict(small_deit_overrides(layers))
    if distilled:
        cfg.model.backbone.type = 'DistilledVisionTransformer'
        cfg.model.head.type = 'DeiTClsHead'
    cfg.model.pop('init_cfg', None)
    return build_model_from_config(cfg), cfg


def per_parameter(model: nn.Module, optimizer) -> dict:
    """name -> the settings of the group holding the parameter."""
    names = {id(p): n for n, p in model.named_parameters()}
    out = {}
    for group in optimizer.param_groups:
        for param in group['params']:
            out[names[id(param)]] = {k: group[k] for k in SETTINGS}
    assert len(out) == len(names)
    return out


def mmengine_default(wrapper_cfg: dict) -> dict:
    """The same optim wrapper config with mmengine's constructor."""
    wrapper_cfg = copy.deepcopy(wrapper_cfg)
    wrapper_cfg['constructor'] = 'DefaultOptimWrapperConstructor'
    return wrapper_cfg


@pytest.mark.parametrize('distilled', [False, True])
def test_deit_schedule_same_settings_two_groups(distilled):
    model, cfg = small_model('deit/deit-small_pt-4xb256_in1k.py', distilled)
    assert cfg.optim_wrapper.constructor == \
        'ParamGroupsOptimWrapperConstructor'
    merged = build_optim_wrapper(model, cfg.optim_wrapper).optimizer
    reference = build_optim_wrapper(
        model, mmengine_default(cfg.optim_wrapper)).optimizer
    assert len(reference.param_groups) == len(list(model.parameters()))
    assert per_parameter(model, merged) == per_parameter(model, reference)
    assert sorted(g['weight_decay'] for g in merged.param_groups) == [0, 0.05]
    assert merged.defaults['fused'] is True
    # the merged groups list the parameters in the model's order
    order = [id(p) for p in model.parameters()]
    for group in merged.param_groups:
        ids = [id(p) for p in group['params']]
        assert ids == sorted(ids, key=order.index)


@pytest.mark.parametrize('config', [
    '_base_/schedules/sgd_bs768_1000e_transfer.py',
    '_base_/schedules/adamw_bs768_360e_inat.py'])
def test_finetune_schedules_same_settings(config):
    model, _ = small_model('deit/deit-tiny_pt-4xb256_in1k.py')
    wrapper_cfg = Config.fromfile(CONFIGS / config).optim_wrapper
    merged = build_optim_wrapper(model, wrapper_cfg).optimizer
    reference = build_optim_wrapper(model,
                                    mmengine_default(wrapper_cfg)).optimizer
    keys = [k for k in SETTINGS if k in reference.defaults]
    names = {id(p): n for n, p in model.named_parameters()}

    def settings(optimizer):
        return {names[id(p)]: tuple(g[k] for k in keys)
                for g in optimizer.param_groups for p in g['params']}

    assert settings(merged) == settings(reference)
    assert len(merged.param_groups) == 2


def depth_of(name: str) -> int:
    """Depth of a parameter of the 3-block model, written out: embeddings
    0, block i at i + 1, final norm and head 4."""
    depth = {'backbone.cls_token': 0, 'backbone.dist_token': 0,
             'backbone.pos_embed': 0, 'backbone.patch_embed': 0,
             'backbone.layers.0.': 1, 'backbone.layers.1.': 2,
             'backbone.layers.2.': 3, 'backbone.norm': 4, 'head.': 4}
    return next(d for prefix, d in depth.items() if name.startswith(prefix))


def layer_decay_reference(model, wrapper_cfg, rate):
    """mmengine's one group per parameter, each lr multiplied by
    rate ** (4 - depth) (the model has 3 blocks)."""
    optimizer = build_optim_wrapper(model,
                                    mmengine_default(wrapper_cfg)).optimizer
    names = {id(p): n for n, p in model.named_parameters()}
    for group in optimizer.param_groups:
        param, = group['params']
        group['lr'] *= rate**(4 - depth_of(names[id(param)]))
    return optimizer


def with_layer_decay(cfg, rate):
    cfg.optim_wrapper.merge(dict(
        constructor='LayerDecayOptimWrapperConstructor',
        paramwise_cfg=dict(layer_decay_rate=rate)))
    return cfg.optim_wrapper


def test_layer_decay_one_group_per_depth_and_decay():
    """DeiT-tiny (3 blocks) with rate 0.65: each parameter's lr is the
    formula's (lr x rate ** (layers + 1 - depth)), its weight decay that of
    mmengine's groups; depths 0 to 4 with and without decay: 10 groups, each
    carrying its lr_scale and layer_id."""
    rate = 0.65
    model, cfg = small_model('deit/deit-tiny_pt-4xb256_in1k.py', True)
    wrapper_cfg = with_layer_decay(cfg, rate)
    merged = build_optim_wrapper(model, wrapper_cfg).optimizer
    ours = per_parameter(model, merged)
    theirs = per_parameter(model,
                           layer_decay_reference(model, wrapper_cfg, rate))
    for name, setting in ours.items():
        lr = theirs[name]['lr']
        assert setting['lr'] == pytest.approx(lr, rel=1e-12), name
        assert dict(setting, lr=lr) == theirs[name], name
    assert len(merged.param_groups) == 2 * (3 + 2)
    for group in merged.param_groups:
        assert group['lr_scale'] == pytest.approx(
            rate**(4 - group['layer_id']), rel=1e-12)
        assert group['lr'] == pytest.approx(5e-4 * group['lr_scale'])


def test_scheduler_moves_every_parameter_as_before():
    """The DeiT schedule's WarmupCosineLR over 20 iterations, with layer
    decay on (so groups differ): every parameter's lr at every iteration
    equals its lr with one group per parameter."""
    model, cfg = small_model('deit/deit-tiny_pt-4xb256_in1k.py')
    wrapper_cfg = with_layer_decay(cfg, 0.65)
    optimizers = [build_optim_wrapper(model, wrapper_cfg).optimizer,
                  layer_decay_reference(model, wrapper_cfg, 0.65)]
    schedule = dict(cfg.param_scheduler[0], T_max=20, warmup_length=5,
                    end=20, by_epoch=False, convert_to_iter_based=False)
    schedulers = [PARAM_SCHEDULERS.build(dict(schedule, optimizer=o))
                  for o in optimizers]
    seen = set()
    for _ in range(20):
        merged, reference = (per_parameter(model, o) for o in optimizers)
        for name, setting in merged.items():
            assert setting['lr'] == pytest.approx(reference[name]['lr'],
                                                  rel=1e-12), name
        seen.add(merged['head.fc.weight']['lr'])
        for optimizer, scheduler in zip(optimizers, schedulers):
            optimizer.step()
            scheduler.step()
    assert len(seen) > 10  # the schedule did move


@pytest.mark.parametrize('implementation', ['fused', 'foreach'])
def test_merged_adamw_steps_equal_the_per_parameter_loop(implementation):
    """Three AdamW steps on the same gradients: fused or foreach over the
    merged groups against torch's loop over mmengine's per-parameter groups
    (the reference implementation), on DeiT's groups."""
    torch.manual_seed(0)
    model, cfg = small_model('deit/deit-tiny_pt-4xb256_in1k.py', True)
    twin = copy.deepcopy(model)
    cfg.optim_wrapper.optimizer.fused = implementation == 'fused'
    cfg.optim_wrapper.optimizer.foreach = implementation == 'foreach'
    merged = build_optim_wrapper(model, cfg.optim_wrapper).optimizer
    reference_cfg = mmengine_default(cfg.optim_wrapper)
    reference_cfg['optimizer'].update(fused=False, foreach=False)
    reference = build_optim_wrapper(twin, reference_cfg).optimizer
    assert len(merged.param_groups) == 2
    initial = {n: p.detach().clone() for n, p in model.named_parameters()}
    for step in range(3):
        for net in (model, twin):
            torch.manual_seed(step)
            for param in net.parameters():
                param.grad = torch.randn_like(param)
        merged.step()
        reference.step()
    for (name, ours), theirs in zip(model.named_parameters(),
                                    twin.parameters()):
        torch.testing.assert_close(ours, theirs, rtol=1e-6, atol=1e-7,
                                   msg=name)
    # every parameter moved (by about 3 lr per step with AdamW)
    for name, param in model.named_parameters():
        moved = (param - initial[name]).abs().max().item()
        assert 5e-4 < moved < 3 * 3 * 5e-4, name


def test_merge_keeps_records_only_where_members_agree():
    a, b, c = (nn.Parameter(torch.zeros(1)) for _ in range(3))
    groups = merge_param_groups([
        dict(params=[a], lr=1.0, weight_decay=0.0, decay_mult=0.0),
        dict(params=[b], lr=2.0, weight_decay=0.0),
        dict(params=[c], lr=1.0, weight_decay=0.0, decay_mult=0.0,
             layer_id=3),
    ])
    assert [g['params'] for g in groups] == [[a, c], [b]]
    assert groups[0] == dict(params=[a, c], lr=1.0, weight_decay=0.0,
                             decay_mult=0.0)
    assert 'layer_id' not in groups[0]


def test_a_per_parameter_state_resumes_into_merged_groups():
    """An AdamW state saved with mmengine's one group per parameter,
    rearranged by ``regroup_saved_state``, makes the merged optimizer take
    the step the per-parameter one takes next (moments and step counts
    carried to the right parameters)."""
    torch.manual_seed(0)
    model, cfg = small_model('deit/deit-tiny_pt-4xb256_in1k.py', True)
    reference_cfg = mmengine_default(cfg.optim_wrapper)
    old = build_optim_wrapper(model, reference_cfg).optimizer

    def step(optimizer, net, seed):
        torch.manual_seed(seed)
        for param in net.parameters():
            param.grad = torch.randn_like(param)
        optimizer.step()

    for seed in range(2):
        step(old, model, seed)
    twin = copy.deepcopy(model)
    merged = build_optim_wrapper(twin, cfg.optim_wrapper).optimizer
    saved = copy.deepcopy(old.state_dict())  # as read from a file
    assert len(saved['param_groups']) > len(merged.param_groups) == 2
    with pytest.raises(ValueError, match='parameter groups'):
        copy.deepcopy(merged).load_state_dict(saved)
    merged.load_state_dict(regroup_saved_state(saved, merged,
                                               twin.parameters()))
    step(old, model, 2)
    step(merged, twin, 2)
    for (name, ours), theirs in zip(twin.named_parameters(),
                                    model.parameters()):
        torch.testing.assert_close(ours, theirs, rtol=1e-6, atol=1e-7,
                                   msg=name)
        assert merged.state[ours]['step'] == old.state[theirs]['step'] == 3


def test_a_state_whose_settings_changed_is_not_regrouped():
    """Parameters that one merged group now holds but that were saved with
    different weight decays: no rearranging (loading then fails as torch
    says)."""
    model, cfg = small_model('deit/deit-tiny_pt-4xb256_in1k.py')
    saved = build_optim_wrapper(model, mmengine_default(
        cfg.optim_wrapper)).optimizer.state_dict()
    saved['param_groups'][0]['weight_decay'] = 0.123
    merged = build_optim_wrapper(model, cfg.optim_wrapper).optimizer
    assert regroup_saved_state(saved, merged, model.parameters()) is None
    # an equal number of groups is left to torch as it is
    assert regroup_saved_state(merged.state_dict(), merged,
                               model.parameters()) is None


def test_the_runner_resumes_a_per_parameter_checkpoint(tmp_path):
    """A run checkpointed with one param group per parameter resumes under
    the merged constructor and ends where the uninterrupted run ends."""
    old = dict(constructor='DefaultOptimWrapperConstructor')
    whole = build_runner(tiny_config(tmp_path / 'whole',
                                     optim_wrapper=old))
    whole.train()
    first = build_runner(tiny_config(tmp_path / 'part', optim_wrapper=old,
                                     **{'train_cfg.max_epochs': 1}))
    first.train()
    resumed = build_runner(tiny_config(
        tmp_path / 'part', resume=True,
        load_from=str(tmp_path / 'part/work/epoch_1.pth')))
    resumed.train()
    assert len(resumed.optim_wrapper.optimizer.param_groups) == 2
    assert 'rearranged into this run\'s 2 groups' in log_text(
        tmp_path / 'part/work')
    for (name, ours), theirs in zip(resumed.model.named_parameters(),
                                    whole.model.parameters()):
        torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6,
                                   msg=name)
