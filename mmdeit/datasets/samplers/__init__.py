from .epoch_order import EpochOrder, epoch_length, epoch_order, rank_positions
from .repeat_aug import RepeatAugSampler
from .resumable_batch import ResumableBatchSampler

__all__ = [
    'EpochOrder', 'RepeatAugSampler', 'ResumableBatchSampler', 'epoch_length',
    'epoch_order', 'rank_positions'
]
