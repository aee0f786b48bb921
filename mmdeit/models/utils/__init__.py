from .batch_augments import CutMix, Mixup, RandomBatchAugment
from .data_preprocessor import ClsDataPreprocessor
from .embed import PatchEmbed, resize_pos_embed, to_2tuple

__all__ = ['CutMix', 'Mixup', 'RandomBatchAugment',
           'ClsDataPreprocessor', 'PatchEmbed', 'resize_pos_embed', 'to_2tuple']
