from .repeat_aug import RepeatAugSampler
from .resumable_batch import ResumableBatchSampler

__all__ = ['RepeatAugSampler', 'ResumableBatchSampler']
