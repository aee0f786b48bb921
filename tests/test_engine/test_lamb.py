"""LAMB against timm's Lamb (a pure PyTorch FusedLAMB), the reference the
official DeiT III recipe's apex optimizer is checked with."""
import copy

import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from timm.optim import Lamb as TimmLamb

from mmdeit.engine.optimizers import Lamb


def net():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 12), torch.nn.LayerNorm(12),
                                torch.nn.GELU(), torch.nn.Linear(12, 3))
    with torch.no_grad():
        model[0].bias.zero_()  # a zero tensor: trust ratio 1 by definition
    return model


def groups(model, weight_decay):
    """As the DeiT III schedule makes them: decay on matrices only."""
    matrices = [p for p in model.parameters() if p.ndim > 1]
    vectors = [p for p in model.parameters() if p.ndim == 1]
    return [dict(params=matrices, weight_decay=weight_decay),
            dict(params=vectors, weight_decay=0.)]


@pytest.mark.parametrize('grad_scale,max_grad_norm', [
    (10., 1.0),  # the global norm clipped to 1 (every step here)
    (0.01, 1.0),  # below 1: left as it is
    (10., None),  # no clipping
])
def test_steps_equal_timm(grad_scale, max_grad_norm):
    ours, theirs = net(), net()
    kwargs = dict(lr=4e-3, betas=(0.9, 0.999), eps=1e-8,
                  max_grad_norm=max_grad_norm)
    optimizers = (Lamb(groups(ours, 0.05), **kwargs),
                  TimmLamb(groups(theirs, 0.05), **kwargs))
    generator = torch.Generator().manual_seed(1)
    for step in range(6):
        x = torch.randn(16, 6, generator=generator)
        y = torch.randn(16, 3, generator=generator)
        for model, optimizer in zip((ours, theirs), optimizers):
            optimizer.zero_grad()
            loss = grad_scale * ((model(x) - y)**2).sum()
            loss.backward()
            optimizer.step()
    for (name, a), b in zip(ours.named_parameters(), theirs.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7, msg=name)
    assert not torch.equal(ours[0].weight, net()[0].weight)


def test_trust_ratio_written_out():
    """One step from zero moments: u = g / (|g| + eps) element-wise (the
    bias-corrected moments of one step), plus w * p with decay; the step is
    lr * |p| / |u| * u with decay, lr * u without."""
    weight = torch.nn.Parameter(torch.tensor([[3., -4.]]))
    bias = torch.nn.Parameter(torch.tensor([0.5, 0.5]))
    weight.grad = torch.tensor([[0.2, 0.1]])
    bias.grad = torch.tensor([0.3, -0.1])
    lr, wd, eps = 0.1, 0.5, 1e-8
    Lamb([dict(params=[weight], weight_decay=wd),
          dict(params=[bias], weight_decay=0.)], lr=lr, eps=eps).step()
    u = torch.tensor([[1., 1.]]) * 0.2 / (0.2 + eps)
    u[0, 1] = 0.1 / (0.1 + eps)
    u = u + wd * torch.tensor([[3., -4.]])
    ratio = 5. / u.norm()
    torch.testing.assert_close(weight.data,
                               torch.tensor([[3., -4.]]) - lr * ratio * u)
    torch.testing.assert_close(bias.data, torch.tensor([0.5 - lr * 1.,
                                                        0.5 + lr * 1.]),
                               rtol=0, atol=1e-6)


def test_built_from_a_config():
    model = net()
    with DefaultScope.overwrite_default_scope('mmdeit'):
        wrapper = build_optim_wrapper(model, dict(
            type='OptimWrapper',
            optimizer=dict(type='Lamb', lr=3e-3, weight_decay=0.05,
                           eps=1e-8),
            paramwise_cfg=dict(flat_decay_mult=0.0)))
    assert isinstance(wrapper.optimizer, Lamb)
    decays = {p.ndim: g['weight_decay'] for g in wrapper.optimizer.param_groups
              for p in g['params']}
    assert decays == {2: 0.05, 1: 0.0}


def test_state_dict_round_trip():
    model = net()
    optimizer = Lamb(groups(model, 0.05), lr=1e-2)
    model(torch.randn(4, 6)).sum().backward()
    optimizer.step()
    again = Lamb(groups(copy.deepcopy(model), 0.05), lr=1e-2)
    again.load_state_dict(optimizer.state_dict())
    assert again.state_dict()['state'][0]['step'] == 1


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='max_grad_norm'):
        Lamb(net().parameters(), max_grad_norm=0)
    with pytest.raises(ValueError, match='betas'):
        Lamb(net().parameters(), betas=(0.9, 1.0))
