from .atomic_checkpoint_hook import AtomicCheckpointHook
from .bad_image_hook import BadImageHook, TooManyBadImagesError
from .convert_hook import ConvertCheckpointHook
from .distillation_record_hook import DistillationRecordHook

__all__ = [
    'ConvertCheckpointHook', 'DistillationRecordHook', 'AtomicCheckpointHook',
    'BadImageHook', 'TooManyBadImagesError'
]
