from .distiller import DistilledImageClassifier
from .image import ImageClassifier

__all__ = ['ImageClassifier', 'DistilledImageClassifier']
