"""The GPU path: pinned memory and non-blocking copies (configured on the
CPU, checked on CUDA), AMP training with the teacher under autocast, fused
AdamW and inference parity on CUDA. Tests marked ``cuda`` are skipped
without a GPU (tools/analysis_tools/gpu_check.sh runs them)."""
import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

import mmdeit
from mmdeit.apis import build_model_from_config, load_config
from mmdeit.models.zoo import merge_overrides
from mmdeit.models import DistilledImageClassifier, Teacher
from mmdeit.models.utils import ClsDataPreprocessor
from mmdeit.structures import DataSample
from mmdeit.utils import configure_cuda_transfers, register_all_modules

MEAN, STD = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]
TINY = dict(
    backbone=dict(arch=dict(embed_dims=32, num_layers=1, num_heads=2,
                            feedforward_channels=64),
                  img_size=32, patch_size=8),
    head=dict(in_channels=32, num_classes=10),
    data_preprocessor=dict(num_classes=10, mean=MEAN, std=STD, to_rgb=True))


def test_cuda_transfers_are_configured_only_for_cuda():
    cfg = load_config('deit-small_pt-4xb256_in1k')
    cfg.val_dataloader.pin_memory = False  # a user's own choice stays
    untouched = copy.deepcopy(cfg)
    assert configure_cuda_transfers(cfg, cuda=False) is cfg
    assert cfg.to_dict() == untouched.to_dict()

    configure_cuda_transfers(cfg, cuda=True)
    assert cfg.train_dataloader.pin_memory is True
    assert cfg.val_dataloader.pin_memory is False
    assert cfg.data_preprocessor.non_blocking is True
    model = build_model_from_config(cfg)
    assert model.data_preprocessor._non_blocking is True


def test_a_model_level_data_preprocessor_gets_non_blocking():
    cfg = Config(dict(model=dict(type='ImageClassifier')))
    configure_cuda_transfers(cfg, cuda=True)
    assert cfg.model.data_preprocessor.non_blocking is True


def tiny_classifier(name='deit-tiny_pt-4xb256_in1k'):
    torch.manual_seed(0)
    return mmdeit.get_model(name, **TINY)


def batch(count=4, size=32):
    images = torch.randint(0, 256, (count, 3, size, size), dtype=torch.uint8)
    return dict(inputs=images, data_samples=[
        DataSample().set_gt_label(i % 10) for i in range(count)])


@pytest.mark.cuda
def test_non_blocking_copy_from_pinned_memory_gives_the_same_batch():
    data = batch()
    expected = ClsDataPreprocessor(MEAN, STD, to_rgb=True)(data)['inputs']
    gpu = ClsDataPreprocessor(MEAN, STD, to_rgb=True,
                              non_blocking=True).cuda()
    pinned = dict(data, inputs=data['inputs'].pin_memory())
    got = gpu(pinned)['inputs']
    assert got.is_cuda
    torch.testing.assert_close(got.cpu(), expected)


def tiny_student(teacher):
    """A reduced DeiT-tiny distilled, hard distillation from ``teacher``."""
    cfg = load_config('deit-tiny-distilled_pt-4xb256_in1k')
    model = merge_overrides(cfg.model, TINY)
    for key in ('type', 'init_cfg', 'teacher', 'distillation'):
        model.pop(key, None)
    return DistilledImageClassifier(**model, teacher=teacher,
                                    distillation=dict(type='hard'))


def amp_step(device, wrapper, precision, dtype):
    """One train step under ``wrapper``: the teacher computes in its own
    ``precision`` (its activations come out in ``dtype``), whatever
    autocast the student runs under, and the student moves."""
    register_all_modules()  # AutocastOptimWrapper is mmdeit's
    teacher = Teacher(tiny_classifier(), None, precision=precision)
    student = tiny_student(teacher).to(device).train()
    wrapper = build_optim_wrapper(student, dict(
        wrapper, optimizer=dict(type='AdamW', lr=1e-3, fused=True)))
    seen = []
    teacher.model.backbone.layers[0].ffn.fc1.register_forward_hook(
        lambda module, args, out: seen.append(out.dtype))
    before = [p.detach().clone() for p in student.parameters()]
    losses = student.train_step(batch(), wrapper)
    assert seen == [dtype]
    assert {'loss_cls', 'loss_distill'} <= set(losses)
    assert all(torch.isfinite(v) for v in losses.values())
    assert any(not torch.equal(b, p) for b, p in
               zip(before, student.parameters()))


@pytest.mark.parametrize('precision, dtype', [('bf16', torch.bfloat16),
                                              ('fp32', torch.float32)])
def test_cpu_amp_step_runs_the_teacher_in_its_own_precision(precision,
                                                            dtype):
    amp_step('cpu', dict(type='AutocastOptimWrapper', dtype='bfloat16'),
             precision, dtype)


@pytest.mark.cuda
def test_cuda_amp_step_runs_the_teacher_in_its_own_precision():
    amp_step('cuda', dict(type='AmpOptimWrapper', loss_scale='dynamic'),
             'fp16', torch.float16)


@pytest.mark.cuda
def test_fused_adamw_on_cuda_follows_the_cpu_update():
    cpu = tiny_classifier()
    gpu = copy.deepcopy(cpu).cuda()
    grads = [torch.randn_like(p) for p in cpu.parameters()]
    for model, fused in ((cpu, False), (gpu, True)):
        for param, grad in zip(model.parameters(), grads):
            param.grad = grad.to(param.device)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2,
                                      weight_decay=0.05, fused=fused)
        optimizer.step()
    for a, b in zip(cpu.parameters(), gpu.parameters()):
        torch.testing.assert_close(b.cpu(), a, atol=1e-6, rtol=1e-5)


@pytest.mark.cuda
def test_cuda_inference_matches_the_cpu(monkeypatch):
    # TF32 convolutions (cuDNN's default) would round the patch embedding
    monkeypatch.setattr(torch.backends.cudnn, 'allow_tf32', False)
    model = tiny_classifier('deit-tiny-distilled_pt-4xb256_in1k')
    for param in model.head.parameters():
        param.data.normal_(0, 1)
    inputs = torch.randn(8, 3, 32, 32)
    with torch.no_grad():
        expected = model(inputs)
        gpu = copy.deepcopy(model).cuda()
        got = gpu(inputs.cuda()).cpu()
        with torch.autocast('cuda', dtype=torch.float16):
            half = gpu(inputs.cuda()).float().cpu()
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)
    assert (half - expected).abs().max() <= 2e-2 * expected.abs().max()
