from .cross_entropy_loss import CrossEntropyLoss, soft_target_cross_entropy

__all__ = ['CrossEntropyLoss', 'soft_target_cross_entropy']
