from .atomic_checkpoint_hook import AtomicCheckpointHook
from .bad_image_hook import BadImageHook, TooManyBadImagesError
from .distillation_record_hook import DistillationRecordHook
from .export_checkpoint_hook import ExportCheckpointHook
from .teacher_label_cache_hook import TeacherLabelCacheHook

__all__ = [
    'ExportCheckpointHook', 'DistillationRecordHook', 'AtomicCheckpointHook',
    'BadImageHook', 'TooManyBadImagesError', 'TeacherLabelCacheHook'
]
