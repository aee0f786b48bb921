"""The EMA documented in default_runtime.py (mmengine's EMAHook with
momentum 4e-5) averages as the official ModelEma with decay 0.99996."""
import copy

import pytest
import torch
from mmengine.hooks import EMAHook
from mmengine.model import ExponentialMovingAverage
from torch import nn


def test_momentum_is_one_minus_official_decay():
    timm_utils = pytest.importorskip('timm.utils')
    hook = EMAHook(momentum=4e-5)
    assert hook.ema_cfg == dict(type='ExponentialMovingAverage',
                                momentum=4e-5)

    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    start = model.weight.detach().clone()
    ours = ExponentialMovingAverage(copy.deepcopy(model), momentum=4e-5)
    ours.update_parameters(model)  # the first call copies the weights
    official = timm_utils.ModelEmaV2(model, decay=0.99996)
    expected = start.clone()
    for step in range(1, 4):
        with torch.no_grad():
            model.weight.add_(1.0)
        ours.update_parameters(model)
        official.update(model)
        expected = 0.99996 * expected + 4e-5 * (start + step)
    torch.testing.assert_close(ours.module.weight, expected)
    torch.testing.assert_close(official.module.weight, expected)
    # it moved, by 4e-5 * (1 + 2 + 3) to first order
    assert (ours.module.weight - start).mean().item() == pytest.approx(
        2.4e-4, rel=1e-3)
