"""The figures of the distillation benchmark: arg-max agreement and close
calls, what top-k soft labels lose, written out by hand."""
import torch
import torch.nn.functional as F

from mmdeit.benchmarks.distillation import agreement, topk_loss_rows


def test_agreement_counts_flips_and_close_calls():
    reference = torch.tensor([[3.0, 1.0, 0.0], [1.0, 1.05, 0.0],
                              [0.0, 0.0, 5.0]])
    other = reference + torch.tensor([[0., 0., 0.], [0.1, 0., 0.],
                                      [0., 0., 0.]])
    # the second image flips; its margin 0.05 is below the error 0.1
    found = agreement(reference, other)
    assert abs(found.pop('max_error') - 0.1 / 5.0) < 1e-6
    assert found == dict(images=3, same=2, close_calls=1)


def test_topk_rows_against_the_formula():
    generator = torch.Generator().manual_seed(0)
    teacher = torch.randn(8, 6, generator=generator) * 3
    student = torch.randn(8, 6, generator=generator)
    tau = 2.0
    rows = topk_loss_rows(teacher, student, [2, 6], tau)
    p = F.softmax(teacher / tau, 1)
    top, index = p.topk(2, 1)
    q = ((1 - top.sum(1, keepdim=True)) / 4).repeat(1, 6).scatter(1, index,
                                                                   top)
    full = F.kl_div(F.log_softmax(student / tau, 1), p, reduction='sum') \
        * tau**2 / student.numel()
    assert abs(rows[0]['loss_full'] - full.item()) < 1e-5
    assert abs(rows[0]['tv'] - 0.5 * (p - q).abs().sum(1).mean().item()) \
        < 2e-3
    assert rows[0]['bytes'] == 10
    # all the classes kept: nothing lost but fp16 rounding
    assert abs(rows[1]['loss_change']) < 1e-2 and rows[1]['tv'] < 1e-3
