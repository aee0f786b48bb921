"""DeiT's distillation losses: the student's distillation-head logits
against a frozen teacher's logits.

Both take ``(student (N, K), teacher (N, K))`` logits and return a scalar;
the teacher's logits carry no gradient. The hard loss also takes the
teacher's arg-max itself, ``(N,)`` class indices, as recorded teacher labels
replay it.
"""
import torch
import torch.nn.functional as F
from torch import nn

from mmdeit.registry import MODELS
from mmdeit.utils.config_errors import check_number


def hard_distillation_loss(student: torch.Tensor,
                           teacher: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the student against the teacher's arg-max class
    (``teacher``: logits (N, K), or the classes (N,) themselves), averaged
    over the batch (no label smoothing)."""
    labels = teacher if teacher.dim() == 1 else teacher.detach().argmax(1)
    return F.cross_entropy(student, labels)


def soft_distillation_loss(student: torch.Tensor, teacher: torch.Tensor,
                           tau: float) -> torch.Tensor:
    """KL(teacher || student) of the distributions softened by ``tau``,
    times tau^2, summed and divided by N * K (the official normalisation,
    which is the batch-mean KL divided by K)."""
    kl = F.kl_div(F.log_softmax(student / tau, dim=1),
                  F.log_softmax(teacher.detach() / tau, dim=1),
                  reduction='sum', log_target=True)
    return kl * (tau * tau) / student.numel()


@MODELS.register_module()
class HardDistillationLoss(nn.Module):
    """``distillation=dict(type='hard')``: the teacher's arg-max is the
    label of the distillation head."""

    def forward(self, student: torch.Tensor,
                teacher: torch.Tensor) -> torch.Tensor:
        return hard_distillation_loss(student, teacher)


@MODELS.register_module()
class SoftDistillationLoss(nn.Module):
    """``distillation=dict(type='soft', tau=...)``: match the teacher's
    distribution at temperature ``tau`` (the paper uses 3.0)."""

    def __init__(self, tau: float = 1.0):
        super().__init__()
        check_number('tau', tau, type(self).__name__, 0, low_open=True)
        self.tau = tau

    def forward(self, student: torch.Tensor,
                teacher: torch.Tensor) -> torch.Tensor:
        return soft_distillation_loss(student, teacher, self.tau)

    def extra_repr(self) -> str:
        return f'tau={self.tau}'
