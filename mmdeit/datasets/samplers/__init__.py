from .repeat_aug import RepeatAugSampler

__all__ = ['RepeatAugSampler']
