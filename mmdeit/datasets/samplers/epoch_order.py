"""The global order of an epoch, which the processes deal among them, so
that an epoch interrupted on one number of processes can be finished on
another.

Both samplers mmdeit trains with deal one list to the ranks, entry ``p`` to
rank ``p % world_size``: mmengine's ``DefaultSampler`` its shuffled
indices (``randperm(seed + epoch)``), :class:`RepeatAugSampler` the same
with each index repeated in place. Only how many entries an epoch trains,
and the padding of its last round, depend on the number of processes.
"""
from typing import List, NamedTuple, Optional

import torch
from mmengine.dataset import DefaultSampler
from torch.utils.data import Sampler


class EpochOrder(NamedTuple):
    """What one epoch trains, for every rank together.

    Attributes:
        indices: dataset indices in the order the epoch deals them; a
            stretch that runs past the end goes on from the start (the
            padding of a last round).
        length: entries the epoch trains (before padding) on the sampler's
            number of processes.
    """
    indices: List[int]
    length: int


def epoch_order(sampler: Sampler) -> Optional[EpochOrder]:
    """The order of the sampler's current epoch (set by ``set_epoch``), or
    None for a sampler whose global order is not known here.

    A sampler tells its order with ``epoch_order()`` and ``epoch_length()``
    methods (as :class:`RepeatAugSampler` does); mmengine's
    ``DefaultSampler`` (not a subclass that iterates otherwise) is read from
    its seed, epoch and ``shuffle``.
    """
    own = getattr(sampler, 'epoch_order', None)
    if callable(own):
        return own()
    if _is_default_sampler(sampler):
        return _default_sampler_order(sampler)
    return None


def epoch_length(sampler: Sampler) -> Optional[int]:
    """``epoch_order(sampler).length`` without drawing the order (None where
    the order is not known)."""
    own = getattr(sampler, 'epoch_length', None)
    if callable(own):
        return own()
    if _is_default_sampler(sampler):
        return len(sampler.dataset)
    return None


def _is_default_sampler(sampler: Sampler) -> bool:
    return isinstance(sampler, DefaultSampler) and \
        type(sampler).__iter__ is DefaultSampler.__iter__


def _default_sampler_order(sampler: DefaultSampler) -> EpochOrder:
    """``DefaultSampler.__iter__`` before it takes a rank's share: the
    shuffle of ``seed + epoch`` (or the dataset order), ``len(dataset)``
    entries; ``round_up`` pads the last round by starting over."""
    length = len(sampler.dataset)
    if sampler.shuffle:
        generator = torch.Generator()
        generator.manual_seed(sampler.seed + sampler.epoch)
        indices = torch.randperm(length, generator=generator).tolist()
    else:
        indices = list(range(length))
    return EpochOrder(indices, length)


def rank_positions(start: int, length: int, rank: int,
                   world_size: int) -> range:
    """Positions in an epoch order that ``rank`` trains when entries
    ``start`` to ``length - 1`` are dealt to ``world_size`` processes, entry
    ``p`` to rank ``(p - start) % world_size``, the last round padded with the
    entries that follow, so that every rank gets
    ``ceil((length - start) / world_size)`` of them (at most
    ``world_size - 1`` padding entries in all)."""
    count = max(0, -(-(length - start) // world_size))
    return range(start + rank, start + count * world_size, world_size)
