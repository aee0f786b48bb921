"""The operator table of a run."""
import torch

from mmdeit.benchmarks.profiling import profile_table


def test_profile_lists_operators_and_the_matmul_share():
    a, b = torch.randn(256, 256), torch.randn(256, 256)
    table = profile_table(lambda: (torch.mm(a, b) + 1).relu(), rows=5)
    lines = table.splitlines()
    assert lines[0].split() == ['operator', 'self', 'ms', 'share']
    names = [line.split()[0] for line in lines[1:-1]]
    assert 'aten::mm' in names and 'aten::add' in names
    share = float(lines[-1].split(':')[1].split('%')[0])
    assert 0 < share < 100


def test_profile_of_no_torch_operator_says_so():
    assert profile_table(lambda: sum(range(10))) == 'no torch operators ran'
