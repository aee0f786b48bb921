from .cls_head import LinearClsHead, stack_targets
from .deit_head import DeiTClsHead

__all__ = ['LinearClsHead', 'DeiTClsHead', 'stack_targets']
