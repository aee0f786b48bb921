"""The frozen teacher: BatchNorm folded exactly, weights held as constants
(no parameters, nothing in a state dict, ignored by DDP), eval mode kept,
inputs re-normalised for a teacher that normalises otherwise, precision."""
import copy
import socket

import pytest
import torch
import torch.multiprocessing as mp
from mmengine.config import Config
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import OptimWrapper

import mmdeit
from mmdeit.models import DistilledImageClassifier, Teacher
from mmdeit.models.teachers.frozen import compute_dtype
from mmdeit.structures import DataSample
from tests.helpers.distilled_student import small_student

NUM_CLASSES = 10
NORMALISE = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
                 to_rgb=True, num_classes=NUM_CLASSES)
SMALL_REGNET = dict(w0=8, wa=8, wm=2, depth=6, group_width=8, se_ratio=0.25)


def teacher_model(preprocessor=NORMALISE, arch=SMALL_REGNET, channels=64):
    return dict(
        type='ImageClassifier',
        backbone=dict(type='RegNet', arch=arch),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=NUM_CLASSES,
                  in_channels=channels),
        data_preprocessor=preprocessor)


def with_statistics(network: torch.nn.Module, seed: int = 0):
    """Random BatchNorm statistics and affine terms, and every residual
    branch on, so that folding has something to get wrong."""
    generator = torch.Generator().manual_seed(seed)
    for module in network.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            size = module.num_features
            module.running_mean.copy_(torch.randn(size, generator=generator)
                                      * 0.2)
            module.running_var.copy_(torch.rand(size, generator=generator)
                                     + 0.5)
            module.weight.data.copy_(torch.rand(size, generator=generator)
                                     + 0.5)
            module.bias.data.copy_(torch.randn(size, generator=generator)
                                   * 0.1)
    return network.eval()


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    network = with_statistics(mmdeit.get_model(_config(teacher_model())))
    path = tmp_path_factory.mktemp('teacher') / 'teacher.pth'
    torch.save({'state_dict': network.state_dict()}, path)
    return str(path)


def _config(model: dict) -> Config:
    return Config(dict(model=model))


def student(teacher=None, preprocessor=NORMALISE, **kwargs):
    torch.manual_seed(1)
    model = DistilledImageClassifier(
        **small_student(NUM_CLASSES),
        teacher=teacher,
        distillation=dict(type='hard' if teacher else 'none'),
        data_preprocessor=preprocessor, **kwargs)
    model.init_weights()
    return model


def images(count=4, size=32, seed=2) -> dict:
    generator = torch.Generator().manual_seed(seed)
    return dict(inputs=[torch.randint(0, 256, (3, size, size),
                                      dtype=torch.uint8, generator=generator)
                        for _ in range(count)],
                data_samples=[DataSample().set_gt_label(i % NUM_CLASSES)
                              for i in range(count)])


def test_regnety_16gf_folded_gives_the_unfolded_logits():
    """The real teacher's architecture (RegNetY-16GF, every BatchNorm of
    its 18 blocks), BatchNorm folded: fp32 logits within 1e-4 of the
    largest, relative, of the model as it was trained."""
    torch.manual_seed(0)
    network = with_statistics(mmdeit.get_model(
        'regnety-16gf_in1k', head=dict(num_classes=NUM_CLASSES)))
    batchnorms = sum(isinstance(m, torch.nn.BatchNorm2d)
                     for m in network.modules())
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        reference = network(x)
    teacher = Teacher(copy.deepcopy(network), None)
    assert batchnorms == 1 + 3 * 18 + 4  # stem, 3 per block, 4 shortcuts
    assert not any(isinstance(m, torch.nn.BatchNorm2d)
                   for m in teacher.modules())
    logits = teacher(x)
    error = (logits - reference).abs().max() / reference.abs().max()
    assert error < 1e-4
    assert logits.argmax(1).tolist() == reference.argmax(1).tolist()


def test_weights_are_constants_out_of_parameters_and_state_dict(checkpoint):
    model = student(dict(cfg=teacher_model(), checkpoint=checkpoint))
    assert not list(model.teacher.parameters())
    assert not model.teacher.state_dict()
    assert not any(key.startswith('teacher.') for key in model.state_dict())
    assert {id(p) for p in model.parameters()} == {
        id(p) for name, p in model.named_parameters()
        if name.startswith(('backbone.', 'head.'))}
    # a checkpoint of a student without a teacher loads strictly into one
    # with a teacher, and back
    bare = student()
    model.load_state_dict(bare.state_dict(), strict=True)
    bare.load_state_dict(model.state_dict(), strict=True)


def test_eval_mode_kept_and_weights_left_by_init(checkpoint):
    model = student(dict(cfg=teacher_model(), checkpoint=checkpoint))
    model.train()
    assert model.training and not any(
        module.training for module in model.teacher.modules())
    # init_weights (run in student()) did not touch the loaded teacher:
    # it computes what the checkpoint's network computes
    network = with_statistics(mmdeit.get_model(
        _config(teacher_model()), pretrained=checkpoint))
    x = model.data_preprocessor(images(), training=False)['inputs']
    with torch.no_grad():
        expected = network(x)
    torch.testing.assert_close(model.teacher(x), expected, rtol=1e-4,
                               atol=1e-4)


def test_student_starts_alike_with_or_without_a_teacher(checkpoint):
    """Building the teacher draws nothing from the global generators, so a
    run that replays recorded labels (no teacher built) starts from the
    same student as one with its teacher."""
    torch.manual_seed(5)
    with_teacher = student(dict(cfg=teacher_model(), checkpoint=checkpoint))
    after = torch.rand(3)
    torch.manual_seed(5)
    without = student()
    assert torch.equal(torch.rand(3), after)
    for (name, value), other in zip(with_teacher.state_dict().items(),
                                    without.state_dict().values()):
        assert torch.equal(value, other), name


@pytest.mark.parametrize('teacher_norm', [
    dict(mean=[0., 0., 0.], std=[255., 255., 255.], to_rgb=True),
    dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
         to_rgb=False),
    dict(mean=[103.53, 116.28, 123.675], std=[57.375, 57.12, 58.395],
         to_rgb=False),
    dict(mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5],
         to_rgb=False),
])
def test_inputs_renormalised_for_the_teacher(checkpoint, teacher_norm):
    """A teacher that normalises otherwise (another mean/std, or channel
    order) gets, from the student's batch, what its own preprocessor makes
    of the same images, as timm's distillation teacher re-normalises."""
    norm = dict(teacher_norm, num_classes=NUM_CLASSES)
    model = student(dict(cfg=teacher_model(norm), checkpoint=checkpoint))
    network = mmdeit.get_model(_config(teacher_model(norm)),
                               pretrained=checkpoint)
    data = images()
    ours = model.data_preprocessor(data, training=False)['inputs']
    theirs = network.data_preprocessor(data, training=False)['inputs']
    assert not torch.allclose(ours, theirs)
    torch.testing.assert_close(model.teacher.renormalise(ours), theirs,
                               rtol=1e-5, atol=1e-5)
    with torch.no_grad():
        torch.testing.assert_close(model.teacher(ours), network(theirs),
                                   rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('teacher_norm', [
    NORMALISE, dict(num_classes=NUM_CLASSES)])
def test_batch_untouched_for_same_or_unsaid_normalisation(checkpoint,
                                                          teacher_norm):
    """Alike normalisations, or a teacher config that does not say how it
    normalises: the teacher gets the student's batch as it is."""
    model = student(dict(cfg=teacher_model(teacher_norm),
                         checkpoint=checkpoint))
    x = torch.randn(2, 3, 8, 8)
    assert model.teacher.renormalise(x) is x


def test_auto_precision_follows_the_cpu_flags():
    """'auto' is bf16 exactly where /proc/cpuinfo lists AVX512-BF16 or AMX
    (which torch.cpu's private probes must keep reporting)."""
    try:
        with open('/proc/cpuinfo') as f:
            flags = set(f.read().split())
    except OSError:
        pytest.skip('no /proc/cpuinfo')
    native = bool(flags & {'avx512_bf16', 'amx_bf16'})
    assert compute_dtype('auto', torch.device('cpu')) == (
        torch.bfloat16 if native else torch.float32)
    assert compute_dtype('fp32', torch.device('cpu')) == torch.float32
    assert compute_dtype('bf16', torch.device('cpu')) == torch.bfloat16


def test_fp32_teacher_ignores_a_surrounding_autocast(checkpoint):
    model = student(dict(cfg=teacher_model(), checkpoint=checkpoint))
    x = model.data_preprocessor(images(), training=False)['inputs']
    reference = model.teacher(x)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert torch.equal(model.teacher(x), reference)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def wrap_in_ddp(rank: int, port: int, checkpoint: str, out_dir: str):
    """One rank: rank 1 perturbs its student and its teacher, then both
    wrap the model in mmengine's DDP and take a training step."""
    torch.set_num_threads(1)
    torch.distributed.init_process_group(
        'gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank,
        world_size=2)
    try:
        model = student(dict(cfg=teacher_model(), checkpoint=checkpoint))
        if rank == 1:
            with torch.no_grad():
                model.head.fc.weight.add_(1)
                model.teacher.model.head.fc.weight.add_(1)
        ddp = MMDistributedDataParallel(module=model)
        wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
        ddp.train_step(images(seed=rank), wrapper)
        torch.save(dict(student=model.state_dict(),
                        teacher=dict(model.teacher.named_buffers())),
                   f'{out_dir}/rank{rank}.pth')
    finally:
        torch.distributed.destroy_process_group()


def test_ddp_leaves_the_teacher_alone(checkpoint, tmp_path):
    mp.start_processes(wrap_in_ddp,
                       args=(free_port(), checkpoint, str(tmp_path)),
                       nprocs=2, join=True, start_method='fork')
    ranks = [torch.load(tmp_path / f'rank{r}.pth') for r in range(2)]
    # the student was broadcast from rank 0 and trained in step
    for key, value in ranks[0]['student'].items():
        assert torch.equal(value, ranks[1]['student'][key]), key
    # the teacher was not: rank 1 kept its own
    key = 'model.head.fc.weight'
    difference = ranks[1]['teacher'][key] - ranks[0]['teacher'][key]
    torch.testing.assert_close(difference, torch.ones_like(difference))
    # every one of its buffers is on DDP's list of those to ignore
    model = student(dict(cfg=teacher_model(), checkpoint=checkpoint))
    assert set(model._ddp_params_and_buffers_to_ignore) == {
        f'teacher.{name}' for name in ranks[0]['teacher']}
