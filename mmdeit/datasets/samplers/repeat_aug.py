"""Repeated augmentation (Hoffer et al. 2020; DeiT's ``RASampler``)."""
import math
from typing import Iterator, Optional, Sized

import torch
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from mmdeit.registry import DATA_SAMPLERS
from mmdeit.utils.config_errors import check_positive_int


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

    def __iter__(self) -> Iterator[int]:
        length = len(self.dataset)
        if self.shuffle:
            generator = torch.Generator()
            generator.manual_seed(self.seed + self.epoch)
            order = torch.randperm(length, generator=generator)
        else:
            order = torch.arange(length)
        repeated = order.repeat_interleave(self.num_repeats).tolist()
        ranks_share = range(self.rank, self.total_size, self.world_size)
        picked = ranks_share[:self.num_selected_samples]
        return iter([repeated[i % len(repeated)] for i in picked])

    def __len__(self) -> int:
        return self.num_selected_samples

    def set_epoch(self, epoch: int) -> None:
        """Called by the runner before each epoch: a new shuffle."""
        self.epoch = epoch
