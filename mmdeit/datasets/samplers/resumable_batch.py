"""Batches that can start anywhere in an epoch, on any number of processes,
with a seed for every sample (exact resumption of a training run)."""
from typing import Iterator, List, Optional, Tuple

from mmengine.dist import get_dist_info
from torch.utils.data import BatchSampler, Sampler

from mmdeit.registry import DATA_SAMPLERS
from mmdeit.utils.seeding import SAMPLE_SEEDS, derive_seed
from ..fetching import SeededIndex
from .epoch_order import epoch_length, epoch_order, rank_positions


@DATA_SAMPLERS.register_module()
class ResumableBatchSampler(BatchSampler):
    """torch's ``BatchSampler`` over any sampler (``DefaultSampler``,
    ``RepeatAugSampler``...), with what :meth:`start_epoch` sets per pass:

    - where the pass starts: ``start`` entries of the epoch's global order
      (all ranks together, see :mod:`.epoch_order`) were trained already, by
      this run or by an interrupted one on another number of processes or
      with another batch per process. The rest, up to the epoch's
      ``length``, is dealt to the ranks of this run, entry ``p`` to rank
      ``(p - start) % world_size``, the last round padded with the entries
      that follow (fewer than ``world_size``). Where that is how the sampler
      deals anyway (``start`` a multiple of the world size, ``length`` its
      own), its indices are drawn and the first ``start / world_size``
      dropped; otherwise the sampler must tell its order
      (:func:`.epoch_order.epoch_order`: ``DefaultSampler``,
      ``RepeatAugSampler``).
    - seeds: each index becomes a :class:`SeededIndex` whose seed is that of
      the epoch (derived from the run seed and the epoch) plus the index's
      position ``p`` in the epoch's global order, so a sample's augmentation
      does not depend on the rank, the number of processes or where a
      resumed pass started; mmdeit datasets seed the pipeline with it.
      (Seeding Python's and numpy's Mersenne twisters with consecutive
      integers gives unrelated streams, as torch does for its loader
      workers.)

    :class:`mmdeit.engine.loops.ResumableEpochBasedTrainLoop` installs it and
    calls :meth:`start_epoch`; the inner sampler still gets ``set_epoch``
    from ``DistSamplerSeedHook``.
    """

    def __init__(self, sampler: Sampler, batch_size: int,
                 drop_last: bool = False):
        super().__init__(sampler, batch_size, drop_last)
        self.rank, self.world_size = get_dist_info()
        self.epoch = 0
        self.seed: Optional[int] = None
        self.start = 0
        self.length: Optional[int] = None

    def start_epoch(self, epoch: int, seed: Optional[int], start: int = 0,
                    length: Optional[int] = None) -> None:
        """Set up the next pass (it alone; the one after starts afresh).

        Args:
            epoch: the epoch (as the sampler's ``set_epoch`` gets it).
            seed: the run seed, the same on every rank (None: indices stay
                plain ints).
            start: entries of the epoch's global order trained already.
            length: entries the epoch trains (None: :meth:`epoch_length`).
        """
        length = self.epoch_length() if length is None else length
        if start < length and not self._deals_as_sampler(start, length) \
                and epoch_length(self.sampler) is None:
            raise ValueError(
                f'{type(self.sampler).__name__} does not tell its epoch order:'
                f' the epoch cannot go on at entry {start} of {length} on '
                f'{self.world_size} processes (only at a multiple of the '
                'number of processes, in an epoch of its own length)')
        self.epoch, self.seed = epoch, seed
        self.start, self.length = start, length

    def epoch_length(self) -> int:
        """Entries an epoch trains on this number of processes (before
        padding): ``len(dataset)`` for ``DefaultSampler``, the repeated
        selection for ``RepeatAugSampler``."""
        length = epoch_length(self.sampler)
        if length is None:
            return len(self.sampler) * self.world_size
        return length

    def pass_size(self) -> int:
        """Indices this rank draws in the pass set up (a whole epoch by
        default)."""
        if self.length is None:
            return len(self.sampler)
        if self.start >= self.length:
            return 0
        if self._deals_as_sampler(self.start, self.length):
            return max(0, len(self.sampler) - self.start // self.world_size)
        return len(rank_positions(self.start, self.length, self.rank,
                                  self.world_size))

    def pass_batches(self) -> int:
        """Batches of the pass set up."""
        size = self.pass_size()
        if self.drop_last:
            return size // self.batch_size
        return -(-size // self.batch_size)

    def _deals_as_sampler(self, start: int, length: int) -> bool:
        """Whether the pass is the sampler's own epoch less a whole number of
        rounds."""
        return start % self.world_size == 0 and \
            length == self.epoch_length()

    def _positions(self, start: int,
                   length: Optional[int]) -> Iterator[Tuple[int, int]]:
        """(position in the epoch's global order, dataset index) of this
        rank in a pass."""
        if length is None:
            start, length = 0, self.epoch_length()
        if start >= length:
            return
        if self._deals_as_sampler(start, length):
            skip = start // self.world_size
            for entry, index in enumerate(self.sampler):
                if entry >= skip:
                    yield self.rank + entry * self.world_size, index
            return
        indices = epoch_order(self.sampler).indices
        for position in rank_positions(start, length, self.rank,
                                       self.world_size):
            yield position, indices[position % len(indices)]

    def __iter__(self) -> Iterator[List[int]]:
        positions = self._positions(self.start, self.length)
        # the pass is set up for one iteration only
        self.start, self.length = 0, None
        epoch_seed = None if self.seed is None else derive_seed(
            self.seed, SAMPLE_SEEDS, self.epoch)
        batch: List[int] = []
        for position, index in positions:
            if epoch_seed is not None:
                index = SeededIndex(index, (epoch_seed + position) % 2**64)
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch
