"""Repeated augmentation (Hoffer et al. 2020; DeiT's ``RASampler``)."""
import math
from typing import Iterator, Optional, Sized

import torch
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from mmdeit.registry import DATA_SAMPLERS
from mmdeit.utils.config_errors import check_positive_int
from .epoch_order import EpochOrder


@DATA_SAMPLERS.register_module()
class RepeatAugSampler(Sampler):
    """Each image is seen ``num_repeats`` times per epoch, the copies spread
    over different ranks (so each gets its own augmentation), as DeiT trains.

    Per epoch: shuffle the dataset indices with ``seed + epoch``, repeat each
    index ``num_repeats`` times in place ([a, a, a, b, b, b, ...]), pad by
    wrapping around to a multiple of the world size, and give rank r the
    entries r, r + world_size, ...; of those it yields only the first
    ``len(dataset) // 256 * 256 // world_size``, so an epoch still has about
    ``len(dataset)`` samples in all. Datasets shorter than 256 yield
    ``ceil(len(dataset) / world_size)`` per rank (as timm's version; the
    official one would yield nothing).

    So an epoch trains a prefix of one list, the repeated shuffle
    (:meth:`epoch_order`), which does not depend on the number of processes;
    that number sets only the prefix's length, ``len(self) * world_size``
    (``(len(dataset) // 256 * 256) // world_size * world_size``, or
    ``ceil(len(dataset) / world_size) * world_size`` below 256): 3,072
    images give 3,072 entries on 1, 2, 3 or 4 processes, 3,070 on 5. An
    epoch interrupted and finished on another number of processes trains
    the rest of the prefix its start chose (the entries the uninterrupted
    run would have trained, each once), plus fewer than ``world_size`` of
    the entries that follow to fill the last round; the epochs after it take
    the prefix of the new number. With fewer processes than ``num_repeats``
    some copies of an image share a rank (every copy keeps an augmentation
    of its own: mmdeit seeds each entry by its position in the epoch).

    Args:
        dataset: the dataset (only its length is used).
        shuffle: shuffle per epoch, or keep the dataset order.
        num_repeats: copies of each index per epoch (DeiT: 3).
        seed: base of the shuffle seed, the same on all ranks (the runner
            passes its seed; None draws one and shares it across ranks).
    """

    SELECTED_ROUND = 256

    def __init__(self, dataset: Sized, shuffle: bool = True,
                 num_repeats: int = 3, seed: Optional[int] = None):
        check_positive_int('num_repeats', num_repeats, type(self).__name__)
        self.rank, self.world_size = get_dist_info()
        self.dataset = dataset
        self.shuffle = shuffle
        self.num_repeats = num_repeats
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0

        length = len(dataset)
        # entries per rank after padding the repeated list
        self.num_samples = math.ceil(length * num_repeats / self.world_size)
        self.total_size = self.num_samples * self.world_size
        if length >= self.SELECTED_ROUND:
            selected = (length // self.SELECTED_ROUND * self.SELECTED_ROUND
                        // self.world_size)
        else:
            selected = math.ceil(length / self.world_size)
        self.num_selected_samples = min(selected, self.num_samples)

    def epoch_order(self) -> EpochOrder:
        """The epoch's repeated shuffle, of which the ranks deal the first
        ``len(self) * world_size`` entries (entry p to rank p %
        world_size)."""
        length = len(self.dataset)
        if self.shuffle:
            generator = torch.Generator()
            generator.manual_seed(self.seed + self.epoch)
            order = torch.randperm(length, generator=generator)
        else:
            order = torch.arange(length)
        repeated = order.repeat_interleave(self.num_repeats).tolist()
        return EpochOrder(repeated, self.epoch_length())

    def epoch_length(self) -> int:
        """Entries the epoch trains, all ranks together."""
        return self.num_selected_samples * self.world_size

    def __iter__(self) -> Iterator[int]:
        indices, length = self.epoch_order()
        return iter([
            indices[p % len(indices)]
            for p in range(self.rank, length, self.world_size)
        ])

    def __len__(self) -> int:
        return self.num_selected_samples

    def set_epoch(self, epoch: int) -> None:
        """Called by the runner before each epoch: a new shuffle."""
        self.epoch = epoch
