import numpy as np
import pytest
import torch
import torch.nn.functional as F
from timm.data import Mixup as TimmMixup

from mmdeit.models.classifiers import ImageClassifier
from mmdeit.models.utils import CutMix, Mixup, RandomBatchAugment
from mmdeit.models.utils.batch_augments import cutmix_box
from mmdeit.registry import BATCH_AUGMENTS
from mmdeit.structures import DataSample

K = 10


def make_batch(n=6, h=12, w=16):
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(n, 3, h, w, generator=generator)
    labels = torch.randint(0, K, (n, ), generator=generator)
    return inputs, labels


def fix_draws(monkeypatch, lam, ints=()):
    """Make np.random.beta return ``lam`` and np.random.randint return
    ``ints`` in order; returns the recorded beta arguments."""
    beta_args = []
    queue = list(ints)

    def beta(a, b, size=None):
        beta_args.append((a, b))
        return lam

    def randint(low, high=None, size=None):
        value = queue.pop(0)
        assert low <= value < high, (low, value, high)
        return value

    monkeypatch.setattr(np.random, 'beta', beta)
    monkeypatch.setattr(np.random, 'randint', randint)
    return beta_args


def timm_mix(monkeypatch, inputs, labels, lam, ints=(), **kwargs):
    fix_draws(monkeypatch, lam, ints)
    mixer = TimmMixup(prob=1.0, mode='batch', num_classes=K, **kwargs)
    return mixer(inputs.clone(), labels)


@pytest.mark.parametrize('smoothing', [0., 0.1])
def test_mixup_matches_timm(monkeypatch, smoothing):
    inputs, labels = make_batch()
    ref_x, ref_y = timm_mix(monkeypatch, inputs, labels, 0.3,
                            mixup_alpha=0.8, cutmix_alpha=0.,
                            label_smoothing=smoothing)
    beta_args = fix_draws(monkeypatch, 0.3)
    original = inputs.clone()
    x, y = Mixup(alpha=0.8, label_smoothing=smoothing)(
        inputs, F.one_hot(labels, K).float())
    assert beta_args == [(0.8, 0.8)]
    torch.testing.assert_close(x, ref_x, rtol=0, atol=0)
    torch.testing.assert_close(y, ref_y, rtol=0, atol=1e-6)
    torch.testing.assert_close(inputs, original, rtol=0, atol=0)


def test_mixup_targets_by_hand():
    scores = F.one_hot(torch.tensor([1, 3]), 4).float()
    _, y = Mixup(label_smoothing=0.1).mix(torch.zeros(2, 1, 2, 2), scores,
                                         lam=0.7)
    # on = 1 - 0.1 + 0.1 / 4 = 0.925, off = 0.025
    expected = torch.tensor([[.025, .7 * .925 + .3 * .025, .025, .295],
                             [.025, .3 * .925 + .7 * .025, .025, .655]])
    torch.testing.assert_close(y, expected, rtol=0, atol=1e-6)
    torch.testing.assert_close(y.sum(1), torch.ones(2))


@pytest.mark.parametrize('lam,center', [
    (0.55, (6, 8)),  # box inside the image
    (0.2, (1, 14)),  # clipped at the top and right: lam gets corrected
    (0.9, (11, 0)),
])
@pytest.mark.parametrize('correct_lam', [True, False])
def test_cutmix_matches_timm(monkeypatch, lam, center, correct_lam):
    inputs, labels = make_batch()
    ref_x, ref_y = timm_mix(monkeypatch, inputs, labels, lam, center,
                            mixup_alpha=0., cutmix_alpha=1.0,
                            correct_lam=correct_lam, label_smoothing=0.1)
    beta_args = fix_draws(monkeypatch, lam, center)
    x, y = CutMix(alpha=1.0, correct_lam=correct_lam, label_smoothing=0.1)(
        inputs, F.one_hot(labels, K).float())
    assert beta_args == [(1.0, 1.0)]
    torch.testing.assert_close(x, ref_x, rtol=0, atol=0)
    torch.testing.assert_close(y, ref_y, rtol=0, atol=1e-6)


def test_cutmix_box_and_corrected_lam_by_hand():
    # 12 x 16 image, lam 0.75: sides int(12 * .5) = 6, int(16 * .5) = 8
    assert cutmix_box(12, 16, 0.75, (6, 8)) == (3, 9, 4, 12)
    # centred at the corner, only a quarter of the box is inside
    assert cutmix_box(12, 16, 0.75, (0, 0)) == (0, 3, 0, 4)
    inputs = torch.arange(2.).view(2, 1, 1, 1).expand(2, 1, 12, 16)
    scores = torch.eye(2)
    mixer = CutMix()
    x, y = mixer.mix(inputs, scores, (0, 3, 0, 4), 1 - 12 / 192)
    assert x[0].sum() == 12 and x[1].sum() == 192 - 12
    torch.testing.assert_close(y[0], torch.tensor([1 - 1 / 16, 1 / 16]))


def test_cutmix_minmax_matches_timm(monkeypatch):
    inputs, labels = make_batch()
    draws = (5, 7, 2, 3)  # cut_h, cut_w, y0, x0
    ref_x, ref_y = timm_mix(monkeypatch, inputs, labels, 0.5, draws,
                            mixup_alpha=0., cutmix_alpha=1.0,
                            cutmix_minmax=(0.3, 0.8), label_smoothing=0.)
    fix_draws(monkeypatch, 0.5, draws)
    x, y = CutMix(cutmix_minmax=(0.3, 0.8))(inputs,
                                            F.one_hot(labels, K).float())
    torch.testing.assert_close(x, ref_x, rtol=0, atol=0)
    torch.testing.assert_close(y, ref_y, rtol=0, atol=1e-6)
    assert y.max() == pytest.approx(1 - 35 / 192)


def test_random_batch_augment_folds_smoothing_like_timm(monkeypatch):
    """DeiT's setting: RandomBatchAugment(Mixup, CutMix, smoothing 0.1) gives
    timm's Mixup(0.8, 1.0, switch 0.5, smoothing 0.1) once the branch is
    fixed."""
    inputs, labels = make_batch()
    augment = RandomBatchAugment(
        [dict(type='Mixup', alpha=0.8), dict(type='CutMix', alpha=1.0)],
        label_smoothing=0.1)
    for branch, ints in ((0, ()), (1, (4, 9))):
        # timm: the first rand() is the mix prob (1.0), the second the
        # switch to CutMix (< 0.5)
        rands = iter([0.0, 0.2 if branch else 0.8])
        monkeypatch.setattr(np.random, 'rand', lambda: next(rands))
        ref_x, ref_y = timm_mix(monkeypatch, inputs, labels, 0.4, ints,
                                mixup_alpha=0.8, cutmix_alpha=1.0,
                                switch_prob=0.5, label_smoothing=0.1)
        fix_draws(monkeypatch, 0.4, ints)
        monkeypatch.setattr(np.random, 'choice',
                            lambda n, p: branch)
        x, y = augment(inputs, F.one_hot(labels, K).float())
        torch.testing.assert_close(x, ref_x, rtol=0, atol=0)
        torch.testing.assert_close(y, ref_y, rtol=0, atol=1e-6)


class Recorder:

    def __init__(self, name, log):
        self.name, self.log = name, log

    def __call__(self, inputs, scores):
        self.log.append(self.name)
        return inputs, scores


def test_random_batch_augment_switch_probability():
    np.random.seed(0)
    log = []
    augment = RandomBatchAugment([Recorder('mixup', log),
                                  Recorder('cutmix', log)])
    assert augment.probs == [0.5, 0.5]
    inputs, scores = torch.zeros(2, 1, 1, 1), torch.eye(2)
    for _ in range(4000):
        augment(inputs, scores)
    # 4000 draws: standard deviation of the share is 0.008
    assert len(log) == 4000
    assert log.count('cutmix') / 4000 == pytest.approx(0.5, abs=0.03)


def test_random_batch_augment_leftover_probability_smooths_only():
    np.random.seed(1)
    log = []
    augment = RandomBatchAugment([Recorder('mixup', log)], probs=[0.25],
                                 label_smoothing=0.2)
    scores = torch.eye(4)
    outputs = [augment(torch.zeros(4, 1, 1, 1), scores)[1]
               for _ in range(2000)]
    assert len(log) / 2000 == pytest.approx(0.25, abs=0.03)
    # not mixed, still smoothed: 1 - 0.2 + 0.05 on the class, 0.05 elsewhere
    expected = torch.full((4, 4), 0.05) + torch.eye(4) * 0.8
    torch.testing.assert_close(outputs[0], expected)


def test_random_batch_augment_rejects_bad_settings():
    with pytest.raises(ValueError, match='set it once'):
        RandomBatchAugment([dict(type='Mixup', label_smoothing=0.1)],
                           label_smoothing=0.1)
    with pytest.raises(ValueError, match='sum to <= 1'):
        RandomBatchAugment([dict(type='Mixup'), dict(type='CutMix')],
                           probs=[0.6, 0.6])
    with pytest.raises(ValueError, match=r'probs=\[0.5, 0.5\]: must hold '
                       r'one per augment \(1\)'):
        RandomBatchAugment([dict(type='Mixup')], probs=[0.5, 0.5])
    with pytest.raises(ValueError, match='label_smoothing'):
        Mixup(label_smoothing=1.0)


def test_classifier_train_cfg_reaches_the_batch_augment():
    """MMPretrain-style ``train_cfg`` with DeiT's smoothing: the preprocessor
    gives every sample a soft target that is mixed and smoothed."""
    np.random.seed(0)
    model = ImageClassifier(
        backbone=dict(type='VisionTransformer',
                      arch=dict(embed_dims=16, num_layers=1, num_heads=2,
                                feedforward_channels=32),
                      img_size=32),
        head=dict(type='LinearClsHead', num_classes=K, in_channels=16),
        data_preprocessor=dict(num_classes=K),
        train_cfg=dict(augments=[dict(type='Mixup', alpha=0.8),
                                 dict(type='CutMix', alpha=1.0)],
                       label_smoothing=0.1))
    augment = model.data_preprocessor.batch_augments
    assert isinstance(augment, RandomBatchAugment)
    assert augment.label_smoothing == 0.1 and augment.probs == [0.5, 0.5]
    assert [type(a) for a in augment.augments] == [Mixup, CutMix]

    samples = [DataSample().set_gt_label(i) for i in range(4)]
    data = dict(inputs=[torch.zeros(3, 32, 32, dtype=torch.uint8)] * 4,
                data_samples=samples)
    out = model.data_preprocessor(data, training=True)
    targets = torch.stack([s.gt_score for s in out['data_samples']])
    torch.testing.assert_close(targets.sum(1), torch.ones(4))
    assert targets.min() == pytest.approx(0.1 / K)  # smoothing reached it
    assert out['inputs'].shape == (4, 3, 32, 32)


def test_registry_builds_the_augments():
    mixer = BATCH_AUGMENTS.build(dict(type='CutMix', alpha=0.5))
    assert isinstance(mixer, CutMix) and mixer.alpha == 0.5
