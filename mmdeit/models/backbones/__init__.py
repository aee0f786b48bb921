from .regnet import RegNet
from .vision_transformer import DistilledVisionTransformer, VisionTransformer

__all__ = ['VisionTransformer', 'DistilledVisionTransformer', 'RegNet']
