from .distiller import DistilledImageClassifier, Teacher, build_teacher
from .image import ImageClassifier

__all__ = [
    'ImageClassifier', 'DistilledImageClassifier', 'Teacher', 'build_teacher'
]
