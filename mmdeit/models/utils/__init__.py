from .data_preprocessor import ClsDataPreprocessor
from .embed import PatchEmbed, resize_pos_embed, to_2tuple

__all__ = ['ClsDataPreprocessor', 'PatchEmbed', 'resize_pos_embed', 'to_2tuple']
