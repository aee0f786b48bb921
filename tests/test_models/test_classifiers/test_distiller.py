"""DistilledImageClassifier: the loss formulas, a CPU train step that leaves
the teacher alone, checkpoints without teacher weights, per-head
predictions."""
import copy
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import build_optim_wrapper

from mmdeit.engine.hooks import DistillationRecordHook
from mmdeit.models import DistilledImageClassifier, ImageClassifier
from mmdeit.structures import DataSample

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
        backbone=dict(type='DistilledVisionTransformer',
                      arch=dict(embed_dims=32, num_layers=1, num_heads=2,
                                feedforward_channels=64),
                      img_size=32, patch_size=16),
        head=dict(type='DeiTClsHead', num_classes=NUM_CLASSES,
                  in_channels=32,
                  loss=dict(type='CrossEntropyLoss', label_smoothing=0.1)),
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


def batch(size: int = 4) -> dict:
    generator = torch.Generator().manual_seed(2)
    return dict(
        inputs=[torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8,
                              generator=generator) for _ in range(size)],
        data_samples=[DataSample().set_gt_label(i % NUM_CLASSES)
                      for i in range(size)])


def teacher_state(model):
    return {k: v.clone() for k, v in model.teacher.model.state_dict().items()}


@pytest.mark.parametrize('distillation,expected_keys', [
    (dict(type='hard', alpha=0.5), {'loss_cls', 'loss_distill'}),
    (dict(type='soft', alpha=0.1, tau=3.0), {'loss_cls', 'loss_distill'}),
    (dict(type='none'), {'loss_cls'}),
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
        teacher_logits = model.teacher.model(inputs)
    labels = torch.cat([s.gt_label for s in samples])
    # label smoothing 0.1 over 10 classes, written out
    smooth = torch.full((4, NUM_CLASSES), 0.1 / NUM_CLASSES)
    smooth[torch.arange(4), labels] += 0.9
    base = -(smooth * F.log_softmax(cls_logits, 1)).sum(1).mean()
    kind, alpha = distillation['type'], distillation.get('alpha', 0.5)
    if kind == 'none':
        expected = base
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
    teacher_params = list(model.teacher.model.parameters())
    assert teacher_params and not optimised & {id(p) for p in teacher_params}
    assert all(not p.requires_grad for p in teacher_params)

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
    assert all(p.dtype == torch.float64
               for p in model.teacher.model.parameters())
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
                              autocast_dtype='bfloat16')).teacher
    inputs = model.data_preprocessor(batch(), training=False)['inputs']
    logits = bf16(inputs)
    assert logits.dtype == torch.float32
    reference = fp32(inputs)
    assert not torch.equal(logits, reference)  # it did run in bf16
    torch.testing.assert_close(logits, reference, rtol=0.1, atol=0.1)


def test_configuration_errors(teacher_checkpoint):
    with pytest.raises(ValueError, match='needs a teacher'):
        DistilledImageClassifier(**student_cfg(
            distillation=dict(type='hard')))
    with pytest.raises(ValueError, match='alpha'):
        build(teacher_checkpoint, distillation=dict(type='hard', alpha=2))
    with pytest.raises(KeyError, match='checkpoint'):
        build(teacher_checkpoint, teacher=dict(cfg=TEACHER_MODEL))
    other = dict(TEACHER_MODEL, data_preprocessor=dict(
        NORMALISE, mean=[0, 0, 0], std=[1, 1, 1]))
    with pytest.raises(ValueError, match='normalisation|other inputs'):
        build(teacher_checkpoint,
              teacher=dict(cfg=other, checkpoint=teacher_checkpoint))
    with pytest.raises(TypeError, match='DeiTClsHead'):
        DistilledImageClassifier(**student_cfg(head=dict(
            type='LinearClsHead', num_classes=NUM_CLASSES, in_channels=32)))
