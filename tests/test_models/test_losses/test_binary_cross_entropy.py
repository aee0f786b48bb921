"""Binary cross-entropy on binarized mixed targets, as the official DeiT III
training step computes it (engine.py with --bce-loss: timm's Mixup with no
smoothing, then ``targets.gt(0.0)``, then ``BCEWithLogitsLoss()``)."""
import pytest
import torch
from timm.data.mixup import mixup_target

from mmdeit.models.losses import BinaryCrossEntropyLoss, binarize_targets
from mmdeit.models.utils import CutMix, Mixup
from mmdeit.registry import MODELS


def official_bce(logits, mixed_targets):
    targets = mixed_targets.gt(0.0).type(mixed_targets.dtype)
    return torch.nn.BCEWithLogitsLoss()(logits, targets)


@pytest.mark.parametrize('lam', [0.7, 0.31, 1.0])
def test_equals_the_official_step(lam):
    """A batch mixed with ratio lam: mmdeit's mixed targets are timm's
    (``mixup_target`` with no smoothing, what the official Mixup returns)
    and the loss is the official one on them."""
    classes = 10
    labels = torch.tensor([3, 3, 7, 1, 0, 7])
    images = torch.randn(6, 3, 8, 8)
    logits = torch.randn(6, classes)
    official_targets = mixup_target(labels, classes, lam=lam,
                                    smoothing=0.0)
    one_hot = torch.nn.functional.one_hot(labels, classes).float()
    _, targets = Mixup(alpha=1.0).mix(images, one_hot, lam)
    torch.testing.assert_close(targets, official_targets)
    _, cut_targets = CutMix(alpha=1.0).mix(images, one_hot, (0, 4, 0, 4),
                                           lam)
    torch.testing.assert_close(cut_targets, official_targets)

    loss = MODELS.build(dict(type='BinaryCrossEntropyLoss',
                             target_threshold=0.0))
    expected = official_bce(logits, official_targets)
    torch.testing.assert_close(loss(logits, targets), expected)
    # both classes of a mixed pair are targets of weight 1
    if lam < 1:
        assert loss(logits, targets) != torch.nn.BCEWithLogitsLoss()(
            logits, official_targets)


def test_binarized_targets_mark_both_classes():
    mixed = torch.tensor([[0.7, 0.3, 0.], [0., 1., 0.]])
    assert binarize_targets(mixed, 0.0).tolist() == [[1., 1., 0.],
                                                     [0., 1., 0.]]


def test_class_indices_and_soft_targets():
    logits = torch.randn(4, 5)
    labels = torch.tensor([0, 4, 2, 2])
    loss = BinaryCrossEntropyLoss(target_threshold=0.0, loss_weight=2.)
    one_hot = torch.nn.functional.one_hot(labels, 5).float()
    expected = 2 * torch.nn.functional.binary_cross_entropy_with_logits(
        logits, one_hot)
    torch.testing.assert_close(loss(logits, labels), expected)
    # without a threshold soft targets are probabilities
    soft = torch.full((4, 5), 0.2)
    torch.testing.assert_close(
        BinaryCrossEntropyLoss()(logits, soft),
        torch.nn.functional.binary_cross_entropy_with_logits(logits, soft))
