"""DistilledImageClassifier: the loss formulas, a CPU train step that leaves
the teacher alone, checkpoints without teacher weights, per-head
predictions, distillation 'none' (offline, under DDP), the teacher's own
input size and class count."""
import copy
import socket
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import OptimWrapper, build_optim_wrapper
from PIL import Image

from mmdeit.apis import build_model_from_config
from mmdeit.engine.hooks import DistillationRecordHook
from mmdeit.models import DistilledImageClassifier, ImageClassifier
from mmdeit.models.classifiers import distiller
from mmdeit.structures import DataSample
from tests.helpers.distilled_student import small_student

CONFIGS = Path(__file__).parents[3] / 'configs'

NUM_CLASSES = 10
NORMALISE = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
                 to_rgb=True, num_classes=NUM_CLASSES)
TEACHER_MODEL = dict(
    type='ImageClassifier',
    backbone=dict(type='RegNet', arch=dict(w0=8, wa=8, wm=2, depth=6,
                                           group_width=8, se_ratio=0.25)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=NUM_CLASSES, in_channels=64),
    data_preprocessor=NORMALISE)


def student_cfg(**kwargs) -> dict:
    cfg = dict(
        small_student(NUM_CLASSES, loss=dict(type='CrossEntropyLoss',
                                             label_smoothing=0.1)),
        data_preprocessor=NORMALISE)
    cfg.update(kwargs)
    return cfg


@pytest.fixture(scope='module')
def teacher_checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    teacher = ImageClassifier(**{k: v for k, v in TEACHER_MODEL.items()
                                 if k != 'type'})
    teacher.init_weights()
    for module in teacher.modules():  # a teacher whose blocks do something
        if isinstance(module, torch.nn.BatchNorm2d):
            module.weight.data.uniform_(0.5, 1.5)
    path = tmp_path_factory.mktemp('teacher') / 'teacher.pth'
    torch.save({'state_dict': teacher.state_dict()}, path)
    return str(path)


def build(teacher_checkpoint, **kwargs) -> DistilledImageClassifier:
    torch.manual_seed(1)
    kwargs.setdefault('teacher', dict(cfg=TEACHER_MODEL,
                                      checkpoint=teacher_checkpoint))
    model = DistilledImageClassifier(**student_cfg(**kwargs))
    model.init_weights()
    return model


def batch(size: int = 4, seed: int = 2) -> dict:
    generator = torch.Generator().manual_seed(seed)
    return dict(
        inputs=[torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8,
                              generator=generator) for _ in range(size)],
        data_samples=[DataSample().set_gt_label(i % NUM_CLASSES)
                      for i in range(size)])


def teacher_state(model):
    """The teacher's weights and statistics (constants: buffers)."""
    return {k: v.clone() for k, v in model.teacher.named_buffers()}


@pytest.mark.parametrize('distillation,expected_keys', [
    (dict(type='hard', alpha=0.5), {'loss_cls', 'loss_distill'}),
    (dict(type='soft', alpha=0.1, tau=3.0), {'loss_cls', 'loss_distill'}),
    (dict(type='none'), {'loss_cls', 'loss_distill'}),
])
def test_loss_is_the_official_mix(teacher_checkpoint, distillation,
                                  expected_keys):
    model = build(teacher_checkpoint, distillation=distillation)
    data = model.data_preprocessor(batch(), training=True)
    inputs, samples = data['inputs'], data['data_samples']
    losses = model.loss(inputs, samples)
    assert set(losses) == expected_keys

    with torch.no_grad():
        cls_logits, dist_logits = model.head.forward_both(
            model.extract_feat(inputs))
        if model.teacher is not None:
            teacher_logits = model.teacher.model(inputs)
    labels = torch.cat([s.gt_label for s in samples])
    # label smoothing 0.1 over 10 classes, written out
    smooth = torch.full((4, NUM_CLASSES), 0.1 / NUM_CLASSES)
    smooth[torch.arange(4), labels] += 0.9
    base = -(smooth * F.log_softmax(cls_logits, 1)).sum(1).mean()
    kind, alpha = distillation['type'], distillation.get('alpha', 0.5)
    if kind == 'none':
        # the distillation head learns the labels like the class head
        expected = 0.5 * base + 0.5 * -(
            smooth * F.log_softmax(dist_logits, 1)).sum(1).mean()
    elif kind == 'hard':
        expected = (1 - alpha) * base + alpha * F.cross_entropy(
            dist_logits, teacher_logits.argmax(1))
    else:
        tau = distillation['tau']
        kl = F.kl_div(F.log_softmax(dist_logits / tau, 1),
                      F.log_softmax(teacher_logits / tau, 1),
                      reduction='sum', log_target=True)
        expected = (1 - alpha) * base + alpha * kl * tau**2 / \
            dist_logits.numel()
    total = sum(losses.values())
    torch.testing.assert_close(total.detach(), expected, rtol=1e-5,
                               atol=1e-6)


def test_train_step_leaves_the_teacher_alone(teacher_checkpoint):
    model = build(teacher_checkpoint, distillation=dict(type='hard'),
                  train_cfg=dict(augments=[dict(type='Mixup', alpha=0.8),
                                           dict(type='CutMix', alpha=1.0)]))
    optim_wrapper = build_optim_wrapper(model, dict(
        optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05)))
    optimised = {id(p) for group in optim_wrapper.optimizer.param_groups
                 for p in group['params']}
    # the optimizer holds the student's parameters, and the teacher has none
    assert optimised == {id(p) for p in model.parameters()}
    assert not list(model.teacher.parameters())
    assert sum(b.numel() for b in model.teacher.buffers()) > 10000

    # the teacher sees exactly the student's (mixed) batch
    seen = {}
    model.backbone.register_forward_pre_hook(
        lambda _, args: seen.__setitem__('student', args[0].clone()))
    model.teacher.model.backbone.register_forward_pre_hook(
        lambda _, args: seen.__setitem__('teacher', args[0].clone()))

    before_teacher = teacher_state(model)
    before_student = copy.deepcopy(model.backbone.state_dict())
    model.train()
    assert not model.teacher.model.training
    log_vars = model.train_step(batch(), optim_wrapper)
    assert set(log_vars) == {'loss', 'loss_cls', 'loss_distill'}
    assert not model.teacher.model.training
    for key, value in teacher_state(model).items():
        assert torch.equal(value, before_teacher[key]), key  # BN stats too
    assert not torch.equal(model.backbone.cls_token,
                           before_student['cls_token'])
    assert torch.equal(seen['student'], seen['teacher'])
    # Mixup/CutMix did mix: the inputs are not the plain normalised images
    plain = model.data_preprocessor(batch(), training=False)['inputs']
    assert not torch.equal(seen['student'], plain)


def test_checkpoint_holds_no_teacher_and_records_it(teacher_checkpoint):
    model = build(teacher_checkpoint, distillation=dict(type='hard'))
    state = model.state_dict()
    assert all(k.startswith(('backbone.', 'head.', 'data_preprocessor.'))
               for k in state)
    assert sum(p.numel() for p in model.parameters()) == sum(
        v.numel() for k, v in state.items() if 'data_preprocessor' not in k)
    checkpoint = {'meta': {}, 'state_dict': state}
    DistillationRecordHook().before_save_checkpoint(
        SimpleNamespace(model=model), checkpoint)
    assert checkpoint['meta']['distillation'] == dict(
        type='hard', teacher=dict(cfg=TEACHER_MODEL,
                                  checkpoint=teacher_checkpoint))
    # a student checkpoint loads into a student built without a teacher
    bare = DistilledImageClassifier(**student_cfg())
    bare.load_state_dict(state)


def test_teacher_follows_to_and_is_shared_by_copies(teacher_checkpoint):
    model = build(teacher_checkpoint, distillation=dict(type='hard'))
    model.to(torch.float64)
    weights = [b for b in model.teacher.buffers() if b.is_floating_point()]
    assert weights and all(b.dtype == torch.float64 for b in weights)
    assert copy.deepcopy(model).teacher is model.teacher


def test_predict_gives_each_head_and_the_teacher(teacher_checkpoint):
    model = build(teacher_checkpoint, distillation=dict(type='hard')).eval()
    data = model.data_preprocessor(batch(), training=False)
    samples = model.predict(data['inputs'], data['data_samples'])
    with torch.no_grad():
        cls_logits, dist_logits = model.head.forward_both(
            model.extract_feat(data['inputs']))
        teacher_logits = model.teacher.model(data['inputs'])
    expected = dict(pred_score=F.softmax((cls_logits + dist_logits) / 2, 1),
                    pred_score_cls=F.softmax(cls_logits, 1),
                    pred_score_dist=F.softmax(dist_logits, 1),
                    pred_score_teacher=F.softmax(teacher_logits, 1))
    for field, scores in expected.items():
        torch.testing.assert_close(
            torch.stack([s.get(field) for s in samples]), scores)


def test_bfloat16_teacher(teacher_checkpoint):
    model = build(teacher_checkpoint, distillation=dict(type='hard'))
    fp32 = model.teacher
    bf16 = build(teacher_checkpoint, distillation=dict(type='hard'),
                 teacher=dict(cfg=TEACHER_MODEL, checkpoint=teacher_checkpoint,
                              precision='bf16')).teacher
    inputs = model.data_preprocessor(batch(16), training=False)['inputs']
    logits = bf16(inputs)
    assert logits.dtype == torch.float32
    assert all(b.dtype == torch.bfloat16 for b in bf16.model.buffers()
               if b.is_floating_point())  # weights cast once
    reference = fp32(inputs)
    assert not torch.equal(logits, reference)  # it did run in bf16
    # what hard distillation takes from it: the same class for every image
    assert reference.argmax(1).unique().numel() > 1
    assert torch.equal(logits.argmax(1), reference.argmax(1))
    # the former key still works, with a warning naming the new one
    with pytest.warns(DeprecationWarning, match="precision='bf16'"):
        old = build(teacher_checkpoint, distillation=dict(type='hard'),
                    teacher=dict(cfg=TEACHER_MODEL,
                                 checkpoint=teacher_checkpoint,
                                 autocast_dtype='bfloat16')).teacher
    assert old.precision == 'bf16'


def test_configuration_errors(teacher_checkpoint):
    with pytest.raises(ValueError, match='needs a teacher'):
        DistilledImageClassifier(**student_cfg(
            distillation=dict(type='hard')))
    with pytest.raises(ValueError, match='alpha'):
        build(teacher_checkpoint, distillation=dict(type='hard', alpha=2))
    with pytest.raises(ValueError, match='teacher.checkpoint=<not set>'):
        build(teacher_checkpoint, teacher=dict(cfg=TEACHER_MODEL),
              distillation=dict(type='hard'))
    with pytest.raises(ValueError,
                       match="teacher.precision='int8': must be one of"):
        build(teacher_checkpoint, distillation=dict(type='hard'),
              teacher=dict(cfg=TEACHER_MODEL, checkpoint=teacher_checkpoint,
                           precision='int8'))
    with pytest.raises(ValueError, match="head.type='LinearClsHead': must "
                       'be a head with a distillation output'):
        DistilledImageClassifier(**student_cfg(head=dict(
            type='LinearClsHead', num_classes=NUM_CLASSES, in_channels=32)))


def test_none_over_a_distilled_config_builds_offline_and_trains_both_heads(
        monkeypatch):
    def offline(*args, **kwargs):
        raise OSError('this test is offline')

    monkeypatch.setattr(socket.socket, 'connect', offline)
    monkeypatch.setattr(torch.hub, 'download_url_to_file', offline)
    warnings = []
    monkeypatch.setattr(distiller, 'print_log',
                        lambda message, **kwargs: warnings.append(message))
    cfg = Config.fromfile(
        CONFIGS / 'deit/deit-tiny-distilled_pt-4xb256_in1k.py')
    assert cfg.model.teacher.checkpoint.startswith('https://')
    cfg.merge_from_dict({
        'model.distillation.type': 'none',
        'model.backbone.arch': dict(_delete_=True, embed_dims=32,
                                    num_layers=1, num_heads=2,
                                    feedforward_channels=64),
        'model.backbone.img_size': 32, 'model.backbone.patch_size': 16,
        'model.head.in_channels': 32})
    model = build_model_from_config(cfg)
    assert model.teacher is None
    assert model.distillation_record()['teacher'] is None
    assert warnings == ['distillation "none": both heads learn the labels; '
                        'the teacher in model.teacher is not built (nor its '
                        'checkpoint read)']

    model.init_weights()
    model.train()
    data = model.data_preprocessor(batch(), training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    sum(losses.values()).backward()
    for name in ('head.fc.weight', 'head.fc_dist.weight',
                 'backbone.cls_token', 'backbone.dist_token'):
        grad = dict(model.named_parameters())[name].grad
        assert grad is not None and grad.abs().sum() > 0, name


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def train_none_under_ddp(rank: int, world_size: int, port: int,
                         out_dir: str) -> None:
    """One rank: 3 iterations of a distilled student with 'none' in
    mmengine's DDP wrapper (find_unused_parameters=False, its default)."""
    torch.set_num_threads(1)
    torch.distributed.init_process_group(
        'gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank,
        world_size=world_size)
    try:
        torch.manual_seed(1)
        model = DistilledImageClassifier(**student_cfg(
            distillation=dict(type='none')))
        model.init_weights()
        before = copy.deepcopy(model.state_dict())
        ddp = MMDistributedDataParallel(module=model,
                                        find_unused_parameters=False)
        wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
        for iteration in range(3):
            ddp.train_step(batch(seed=10 * rank + iteration), wrapper)
        torch.save(dict(before=before, after=model.state_dict()),
                   f'{out_dir}/rank{rank}.pth')
    finally:
        torch.distributed.destroy_process_group()


def test_none_trains_under_ddp_two_processes(tmp_path):
    # fork: the ranks start in seconds, without re-importing torch; each
    # keeps to one thread, so no OpenMP pool crosses the fork
    mp.start_processes(train_none_under_ddp,
                       args=(2, free_port(), str(tmp_path)), nprocs=2,
                       join=True, start_method='fork')
    ranks = [torch.load(tmp_path / f'rank{r}.pth') for r in range(2)]
    for key, value in ranks[0]['after'].items():
        assert torch.equal(value, ranks[1]['after'][key]), key
    for key in ('head.fc.weight', 'head.fc_dist.weight',
                'backbone.dist_token'):
        assert not torch.equal(ranks[0]['after'][key],
                               ranks[0]['before'][key]), key


def test_teacher_gets_the_batch_at_its_input_size(teacher_checkpoint):
    model = build(teacher_checkpoint, distillation=dict(type='hard'),
                  teacher=dict(cfg=TEACHER_MODEL,
                               checkpoint=teacher_checkpoint, input_size=16))
    seen = {}
    model.backbone.register_forward_pre_hook(
        lambda _, args: seen.__setitem__('student', args[0].clone()))
    model.teacher.model.register_forward_pre_hook(
        lambda _, args: seen.__setitem__('teacher', args[0].clone()))
    data = model.data_preprocessor(batch(), training=True)
    model.loss(data['inputs'], data['data_samples'])
    assert seen['student'].shape == (4, 3, 32, 32)
    assert seen['teacher'].shape == (4, 3, 16, 16)
    torch.testing.assert_close(seen['teacher'], F.interpolate(
        seen['student'], size=(16, 16), mode='bicubic', align_corners=False,
        antialias=True), rtol=0, atol=0)
    # also at prediction, where the teacher's scores are reported
    seen.clear()
    model.predict(data['inputs'], data['data_samples'])
    assert seen['teacher'].shape == (4, 3, 16, 16)
    # and the student's checkpoints record it
    assert model.distillation_record()['teacher']['input_size'] == 16


def test_teacher_resize_shrinks_as_pillow_does(teacher_checkpoint):
    """The official pipeline resizes with Pillow's bicubic, which low-pass
    filters when it shrinks: shrinking by 384 / 224, the teacher's resize
    agrees with it to a fraction of a grey level (Pillow rounds to uint8),
    and a resize without the filter does not."""
    model = build(teacher_checkpoint, distillation=dict(type='hard'),
                  teacher=dict(cfg=TEACHER_MODEL,
                               checkpoint=teacher_checkpoint, input_size=56))
    # photo-like: smooth shading, a sharp-edged patch, sensor noise
    y, x = np.mgrid[0:96, 0:96].astype(np.float64)
    image = np.stack([110 + 70 * np.sin(x / 7 + y / 13),
                      120 + 60 * np.cos(y / 5 - x / 17),
                      100 + 90 * x / 96 - 40 * y / 96], -1)
    image[30:60, 20:50] = (230, 60, 20)
    image += np.random.default_rng(0).normal(0, 12, image.shape)
    image = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    pillow = np.asarray(Image.fromarray(image).resize((56, 56),
                                                      Image.BICUBIC),
                        dtype=np.float64)
    tensor = torch.from_numpy(image).permute(2, 0, 1)[None].double()

    def grey_levels_off(resized):
        return np.abs(resized[0].permute(1, 2, 0).clamp(0, 255).numpy() -
                      pillow).mean()

    ours = grey_levels_off(model.teacher.resize(tensor))
    assert ours < 0.5
    assert grey_levels_off(F.interpolate(tensor, size=(56, 56),
                                         mode='bicubic')) > 10 * ours


def test_384_config_feeds_the_224_teacher_at_224():
    cfg = Config.fromfile(
        CONFIGS / 'deit/deit-base-distilled_ft-16xb32_in1k-384px.py')
    assert cfg.model.backbone.img_size == 384
    assert cfg.model.teacher.input_size == 224
    assert cfg.model.teacher.checkpoint.endswith('regnety_160-a5fe301d.pth')


def test_teacher_of_other_classes_is_refused(teacher_checkpoint, tmp_path):
    five = dict(TEACHER_MODEL,
                head=dict(TEACHER_MODEL['head'], num_classes=5),
                data_preprocessor=dict(NORMALISE, num_classes=5))
    # refused before its checkpoint is read (this one does not exist)
    with pytest.raises(ValueError) as error:
        DistilledImageClassifier(**student_cfg(
            teacher=dict(cfg=five, checkpoint=str(tmp_path / 'absent.pth')),
            distillation=dict(type='hard')))
    message = str(error.value)
    assert 'the teacher predicts 5 classes but the student 10' in message
    assert 'Fine-tune the teacher on the target data first' in message
    assert 'set head=dict(num_classes=10) in the teacher config' in message

    built = ImageClassifier(**{k: v for k, v in five.items() if k != 'type'})
    with pytest.raises(ValueError, match='predicts 5 classes but the '
                       'student 10'):
        DistilledImageClassifier(**student_cfg(
            teacher=built, distillation=dict(type='hard')))

    # a teacher that does not say: its logits are checked in training
    headless = torch.nn.Sequential(torch.nn.Flatten(),
                                   torch.nn.Linear(3 * 32 * 32, 5))
    model = DistilledImageClassifier(**student_cfg(
        teacher=headless, distillation=dict(type='hard')))
    data = model.data_preprocessor(batch(), training=True)
    with pytest.raises(ValueError, match='predicts 5 classes but the '
                       'student 10'):
        model.loss(data['inputs'], data['data_samples'])
