"""The optimizer benchmark: its timing loop and its table's speed-ups,
from known values."""
import re

import torch
from torch import nn

from mmdeit.benchmarks import optimizer as bench


def test_table_speed_ups_from_known_times():
    results = {
        'per parameter, fused': dict(wall=40.0, cpu=36.0, groups=152),
        'merged, fused': dict(wall=32.0, cpu=30.0, groups=2),
    }
    text = bench.table(results, 'per parameter, fused')
    rows = [line for line in text.splitlines() if line.startswith('| per')
            or line.startswith('| merged')]
    assert re.search(r'\| 152 \| 40\.00 \| 36\.00 \| 1\.00x / 1\.00x \|$',
                     rows[0])
    assert re.search(r'\| 2 \| 32\.00 \| 30\.00 \| 1\.25x / 1\.20x \|$',
                     rows[1])


def test_time_steps_runs_every_contender_and_counts_groups():
    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))
    for param in model.parameters():
        param.grad = torch.ones_like(param)
    optimizers = {
        'one group per parameter': torch.optim.AdamW(
            [dict(params=[p]) for p in model.parameters()], lr=0.1,
            weight_decay=0),
        'one group': torch.optim.AdamW(model.parameters(), lr=0.1,
                                     weight_decay=0),
    }
    before = [p.detach().clone() for p in model.parameters()]
    results = bench.time_steps(optimizers, rounds=3, steps=2)
    assert {name: r['groups'] for name, r in results.items()} == {
        'one group per parameter': 4, 'one group': 1}
    assert all(r['wall'] > 0 and r['cpu'] >= 0 for r in results.values())
    # 1 warm-up + 3 rounds x 2 steps for each of the two optimizers, each
    # AdamW step moving a weight with a constant gradient by lr
    moved = before[0] - model[0].weight.detach()
    assert torch.allclose(moved, torch.full_like(moved, 2 * 7 * 0.1),
                          rtol=1e-2)
