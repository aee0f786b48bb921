from .deit3 import DeiT3
from .regnet import RegNet
from .vision_transformer import DistilledVisionTransformer, VisionTransformer

__all__ = ['VisionTransformer', 'DistilledVisionTransformer', 'DeiT3',
           'RegNet']
