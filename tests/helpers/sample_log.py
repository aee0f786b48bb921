"""A hook that writes down what every training iteration of every process
trained, for tests of runs in subprocesses. A config loads it with::

    custom_imports = dict(imports=['tests.helpers.sample_log'])
    custom_hooks = [dict(type='SampleLogHook')]

Each rank appends one JSON line per iteration to
``<work_dir>/samples.rank<rank>.jsonl``: epoch, iter (the runner's count
before the iteration), batch_idx, world_size, rank, lr (of the first param
group, the one the iteration trains with) and ``samples``, the dataset
indices of the batch.
"""
import json
from pathlib import Path
from typing import Dict, List

from mmengine.dist import get_dist_info
from mmengine.hooks import Hook

from mmdeit.registry import HOOKS


@HOOKS.register_module(force=True)
class SampleLogHook(Hook):

    priority = 'VERY_LOW'

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        rank, world_size = get_dist_info()
        record = dict(
            epoch=runner.epoch, iter=runner.iter, batch_idx=batch_idx,
            world_size=world_size, rank=rank,
            lr=runner.optim_wrapper.get_lr()['lr'][0],
            samples=[int(s.sample_idx) for s in data_batch['data_samples']])
        path = Path(runner.work_dir) / f'samples.rank{rank}.jsonl'
        with path.open('a') as file:
            file.write(json.dumps(record) + '\n')


def read_sample_log(work_dir: Path) -> List[Dict]:
    """The records of every rank, in the order (iter, rank)."""
    records = [
        json.loads(line) for path in sorted(work_dir.glob('samples.rank*'))
        for line in path.read_text().splitlines()
    ]
    return sorted(records, key=lambda r: (r['iter'], r['rank']))
