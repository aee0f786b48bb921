"""The distillation losses against the official formulas written out."""
import math

import pytest
import torch

from mmdeit.models.losses import (HardDistillationLoss, SoftDistillationLoss,
                                  hard_distillation_loss,
                                  soft_distillation_loss)
from mmdeit.registry import MODELS


@pytest.fixture
def logits():
    generator = torch.Generator().manual_seed(0)
    student = torch.randn(4, 5, generator=generator) * 2
    teacher = torch.randn(4, 5, generator=generator) * 2
    return student, teacher


def log_softmax_by_hand(row):
    top = max(row)
    log_sum = top + math.log(sum(math.exp(v - top) for v in row))
    return [v - log_sum for v in row]


def test_hard_is_cross_entropy_with_the_teacher_argmax(logits):
    student, teacher = logits
    expected = 0.0
    for s_row, t_row in zip(student.tolist(), teacher.tolist()):
        label = max(range(len(t_row)), key=t_row.__getitem__)
        expected -= log_softmax_by_hand(s_row)[label]
    expected /= student.shape[0]
    assert hard_distillation_loss(student, teacher).item() == \
        pytest.approx(expected, rel=1e-5)
    assert HardDistillationLoss()(student, teacher).item() == \
        pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize('tau', [1.0, 3.0])
def test_soft_is_the_official_kl(logits, tau):
    # sum over batch and classes of p_t * (log p_t - log p_s) at
    # temperature tau, times tau^2, divided by N * K.
    student, teacher = logits
    total = 0.0
    for s_row, t_row in zip(student.tolist(), teacher.tolist()):
        log_ps = log_softmax_by_hand([v / tau for v in s_row])
        log_pt = log_softmax_by_hand([v / tau for v in t_row])
        total += sum(math.exp(lt) * (lt - ls)
                     for ls, lt in zip(log_ps, log_pt))
    expected = total * tau * tau / student.numel()
    assert soft_distillation_loss(student, teacher, tau).item() == \
        pytest.approx(expected, rel=1e-5)
    assert SoftDistillationLoss(tau)(student, teacher).item() == \
        pytest.approx(expected, rel=1e-5)


def test_soft_is_zero_when_student_matches_teacher(logits):
    _, teacher = logits
    assert soft_distillation_loss(teacher, teacher, 3.0).item() == \
        pytest.approx(0.0, abs=1e-7)


def test_no_gradient_reaches_the_teacher(logits):
    student, teacher = (t.clone().requires_grad_() for t in logits)
    (hard_distillation_loss(student, teacher) +
     soft_distillation_loss(student, teacher, 2.0)).backward()
    assert teacher.grad is None
    assert student.grad is not None and student.grad.abs().sum() > 0


def test_built_from_the_registry():
    assert isinstance(MODELS.build(dict(type='SoftDistillationLoss', tau=3.)),
                      SoftDistillationLoss)
    with pytest.raises(ValueError, match='tau'):
        SoftDistillationLoss(tau=0)
