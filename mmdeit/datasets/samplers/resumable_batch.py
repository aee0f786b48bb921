"""Batches that can start in the middle of an epoch, with a seed for every
sample (exact resumption of a training run)."""
from typing import Iterator, List, Optional

from mmengine.dist import get_rank
from torch.utils.data import BatchSampler, Sampler

from mmdeit.registry import DATA_SAMPLERS
from mmdeit.utils.seeding import SAMPLE_SEEDS, derive_seed
from ..fetching import SeededIndex


@DATA_SAMPLERS.register_module()
class ResumableBatchSampler(BatchSampler):
    """torch's ``BatchSampler`` over any sampler (``DefaultSampler``,
    ``RepeatAugSampler``...), with two additions set per epoch by
    :meth:`start_epoch`:

    - ``skip``: the first ``skip`` batches of the epoch are left out (their
      indices are drawn from the sampler, no data is loaded), so a run
      resumed from a checkpoint taken in the middle of an epoch goes on with
      the batch that followed it;
    - ``seed``: each index becomes a :class:`SeededIndex` whose seed is
      that of the epoch (derived from run seed, rank and epoch) plus the
      position of the index in the epoch; mmdeit datasets seed the sample's
      augmentation with it. (Seeding Python's and numpy's Mersenne twisters
      with consecutive integers gives unrelated streams, as torch does for
      its loader workers.)

    :class:`mmdeit.engine.loops.ResumableEpochBasedTrainLoop` installs it and
    calls :meth:`start_epoch`; the inner sampler still gets ``set_epoch``
    from ``DistSamplerSeedHook``.
    """

    def __init__(self, sampler: Sampler, batch_size: int,
                 drop_last: bool = False):
        super().__init__(sampler, batch_size, drop_last)
        self.rank = get_rank()
        self.epoch = 0
        self.seed: Optional[int] = None
        self.skip = 0

    def start_epoch(self, epoch: int, seed: Optional[int],
                    skip: int = 0) -> None:
        """Set up the next pass: its epoch, the run seed (None: indices stay
        plain ints) and the batches to leave out (for this pass only)."""
        self.epoch = epoch
        self.seed = seed
        self.skip = skip

    def __iter__(self) -> Iterator[List[int]]:
        first, self.skip = self.skip * self.batch_size, 0
        epoch_seed = None if self.seed is None else derive_seed(
            self.seed, SAMPLE_SEEDS, self.rank, self.epoch)
        batch: List[int] = []
        for position, index in enumerate(self.sampler):
            if position < first:
                continue
            if epoch_seed is not None:
                index = SeededIndex(index, (epoch_seed + position) % 2**64)
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch
