from .frozen import fold_batchnorm, parameters_to_constants
from .teacher import Teacher, build_teacher, check_class_count

__all__ = ['Teacher', 'build_teacher', 'check_class_count', 'fold_batchnorm',
           'parameters_to_constants']
