"""Data transforms of the DeiT training and evaluation pipelines."""
from .auto_augment import RandAugment
from .formatting import PackInputs
from .loading import LoadImageFromFile
from .processing import (CenterCrop, ColorJitter, RandomCrop, RandomErasing,
                         RandomFlip, RandomResizedCrop, ResizeEdge)
from .three_augment import ThreeAugment

__all__ = [
    'LoadImageFromFile', 'RandomResizedCrop', 'RandomFlip', 'ResizeEdge',
    'CenterCrop', 'ColorJitter', 'RandAugment', 'RandomErasing', 'PackInputs',
    'RandomCrop', 'ThreeAugment'
]
