"""``compile``: the option's forms, and compiled results equal to eager."""
import inspect
import logging
import shutil
from types import SimpleNamespace

import pytest
import torch
from mmengine.runner import Runner

import mmdeit
from mmdeit.engine.runner import ReliableRunner
from mmdeit.models.utils import (compile_model, compile_options,
                                 inference_compile_options)
from mmdeit.structures import DataSample

TINY = dict(
    backbone=dict(arch=dict(embed_dims=32, num_layers=1, num_heads=2,
                            feedforward_channels=64),
                  img_size=32, patch_size=8),
    head=dict(in_channels=32, num_classes=10),
    data_preprocessor=dict(num_classes=10))


def test_compile_options_forms():
    assert compile_options(None) is None
    assert compile_options(False) is None
    assert compile_options(True) == {}
    options = dict(mode='max-autotune')
    assert compile_options(options) == options
    assert compile_options(options) is not options
    with pytest.raises(TypeError, match="'yes'"):
        compile_options('yes')


def test_inference_compile_options_freeze_the_weights():
    assert inference_compile_options(None) is None
    assert inference_compile_options(False) is None
    assert inference_compile_options(True) == dict(
        options=dict(freezing=True))
    assert inference_compile_options(dict(options=dict(
        max_autotune=True))) == dict(options=dict(max_autotune=True,
                                                  freezing=True))
    # the caller's own choice stays
    assert inference_compile_options(dict(options=dict(
        freezing=False))) == dict(options=dict(freezing=False))
    # torch.compile takes no options beside a mode
    assert inference_compile_options(dict(mode='max-autotune')) == dict(
        mode='max-autotune')


def test_compile_model_keeps_names_and_compiles_in_place():
    model = mmdeit.get_model('deit-tiny-distilled_pt-4xb256_in1k', **TINY)
    keys = list(model.state_dict())
    assert compile_model(model, dict(backend='eager')) is model
    assert list(model.state_dict()) == keys
    assert model.backbone._compiled_call_impl is not None
    assert model.head._compiled_call_impl is not None
    assert model.data_preprocessor._compiled_call_impl is None


def test_runner_compiles_where_mmengine_would_compile_train_step():
    # ReliableRunner overrides this private method of mmengine's Runner
    assert list(inspect.signature(Runner._maybe_compile).parameters) == \
        ['self', 'target']
    model = mmdeit.get_model('deit-tiny_pt-4xb256_in1k', **TINY)
    fake = SimpleNamespace(model=model, cfg=dict(compile=dict(
        backend='eager')), logger=logging.getLogger('test'))
    ReliableRunner._maybe_compile(fake, 'train_step')
    assert model.backbone._compiled_call_impl is not None
    plain = mmdeit.get_model('deit-tiny_pt-4xb256_in1k', **TINY)
    ReliableRunner._maybe_compile(SimpleNamespace(
        model=plain, cfg=dict(compile=False), logger=fake.logger),
        'train_step')
    assert plain.backbone._compiled_call_impl is None


def step(model, images, labels):
    """One training step's loss and gradients (no optimizer)."""
    model.zero_grad()
    data = dict(inputs=images, data_samples=[
        DataSample().set_gt_label(int(label)) for label in labels])
    data = model.data_preprocessor(data, training=False)
    losses = model(**data, mode='loss')
    loss = sum(value for key, value in losses.items() if 'loss' in key)
    loss.backward()
    return loss.detach(), {name: p.grad.clone()
                           for name, p in model.named_parameters()
                           if p.grad is not None}


@pytest.mark.skipif(shutil.which('g++') is None,
                    reason='inductor needs a C++ compiler on the CPU')
def test_inductor_matches_eager_in_inference_and_training():
    torch.manual_seed(0)
    eager = mmdeit.get_model('deit-tiny-distilled_pt-4xb256_in1k', **TINY)
    compiled = mmdeit.get_model('deit-tiny-distilled_pt-4xb256_in1k',
                                compile=True, **TINY)
    compiled.load_state_dict(eager.state_dict())
    images = torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8)
    inputs = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        expected = eager(inputs)
        try:
            got = compiled(inputs)
        except Exception as error:  # noqa: BLE001 (inductor's many errors)
            pytest.skip(f'inductor cannot run here: {error}')
    assert (got - expected).abs().max() <= 1e-5
    assert (got - expected).abs().max() < expected.abs().max()

    labels = torch.arange(4)
    eager.train(), compiled.train()
    loss, grads = step(eager, images, labels)
    loss_c, grads_c = step(compiled, images, labels)
    assert torch.allclose(loss_c, loss, atol=1e-5)
    assert grads_c.keys() == grads.keys() and len(grads) > 10
    for name, grad in grads.items():
        assert torch.allclose(grads_c[name], grad, atol=1e-5, rtol=1e-4), name
