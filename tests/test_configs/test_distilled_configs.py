"""The distilled configs are their plain variant plus the distillation
block they share (configs/_base_/distillation): each merges to what it held
written out in full."""
import pytest
from mmengine.config import Config

from tests.helpers.repo import ROOT

# What each distilled DeiT config added to its plain variant, written out.
REGNETY_TEACHER = dict(
    cfg='regnety-16gf_in1k',
    checkpoint='https://dl.fbaipublicfiles.com/deit/regnety_160-a5fe301d.pth',
    precision='auto')
DISTILLED_MODEL = dict(
    type='DistilledImageClassifier',
    backbone=dict(type='DistilledVisionTransformer'),
    head=dict(type='DeiTClsHead'),
    teacher=REGNETY_TEACHER,
    distillation=dict(type='hard', alpha=0.5))
EVALUATION = dict(
    val_evaluator=dict(type='DistillationAccuracy', topk=(1, 5)),
    test_evaluator=dict(type='DistillationAccuracy', topk=(1, 5)),
    custom_hooks=[dict(type='DistillationRecordHook')])


def demo_teacher(cfg: str, checkpoint: str) -> dict:
    """The distilled model with a teacher of the Fashion-MNIST demo."""
    return dict(DISTILLED_MODEL, teacher=dict(cfg=cfg, checkpoint=checkpoint))


CASES = {
    'deit/deit-tiny-distilled_pt-4xb256_in1k':
    ('deit/deit-tiny_pt-4xb256_in1k', DISTILLED_MODEL),
    'deit/deit-small-distilled_pt-4xb256_in1k':
    ('deit/deit-small_pt-4xb256_in1k', DISTILLED_MODEL),
    'deit/deit-base-distilled_pt-16xb64_in1k':
    ('deit/deit-base_pt-16xb64_in1k', DISTILLED_MODEL),
    'deit/deit-base-distilled_ft-16xb32_in1k-384px':
    ('deit/deit-base_ft-16xb32_in1k-384px',
     dict(DISTILLED_MODEL,
          teacher=dict(REGNETY_TEACHER, input_size=224),
          init_cfg=dict(checkpoint='https://dl.fbaipublicfiles.com/deit/'
                        'deit_base_distilled_patch16_224-df68dfff.pth'))),
    'demo/deit-tiny-p7-hard-distilled_1xb128_fashion-mnist':
    ('demo/deit-tiny-p7_1xb128_fashion-mnist',
     demo_teacher('regnety-200mf_1xb128_fashion-mnist',
                  'work_dirs/regnety-200mf_1xb128_fashion-mnist/epoch_1.pth')),
    'demo/deit-p7-w128-hard-distilled_1xb128-8ep_fashion-mnist-10k':
    ('demo/deit-p7-w128_1xb128-8ep_fashion-mnist-10k',
     demo_teacher('regnetx-w48_1xb32-12ep_fashion-mnist-10k',
                  'work_dirs/demo/seed0/teacher/epoch_12.pth')),
}


def load(name: str) -> dict:
    return Config.fromfile(ROOT / 'configs' / f'{name}.py').to_dict()


@pytest.mark.parametrize('name', sorted(CASES))
def test_distilled_config_is_its_plain_variant_plus_the_block(name):
    plain, model = CASES[name]
    expected = Config.fromfile(ROOT / 'configs' / f'{plain}.py')
    expected.merge_from_dict(dict(model=model, **EVALUATION))
    merged = load(name)
    # the shared block itself, kept under its name by mmengine's merge
    assert merged.pop('distilled_deit')['model']['teacher'] == \
        REGNETY_TEACHER
    assert merged == expected.to_dict()
    assert merged['model']['type'] == 'DistilledImageClassifier'
