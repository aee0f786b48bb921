from .batch_augments import CutMix, Mixup, RandomBatchAugment
from .compile import compile_model, compile_options, inference_compile_options
from .data_preprocessor import ClsDataPreprocessor
from mmdeit.checkpoint.pos_embed import resize_pos_embed
from .embed import PatchEmbed, to_2tuple
from .layer_scale import LayerScale

__all__ = ['CutMix', 'Mixup', 'RandomBatchAugment',
           'ClsDataPreprocessor', 'compile_model', 'compile_options',
           'inference_compile_options', 'LayerScale', 'PatchEmbed',
           'resize_pos_embed', 'to_2tuple']
