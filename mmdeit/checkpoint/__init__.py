"""Checkpoint files: safe reading, layout detection and conversion, loading."""
from .formats import (FORMATS, convert_to_mmdeit, detect_format,
                      register_format, rename_keys)
from .io import (CheckpointError, download, read_checkpoint, resolve,
                 unwrap_state_dict)
from .loading import (LoadReport, adapt_pos_embed, load_pretrained,
                      load_state_dict_checked)

__all__ = [
    'FORMATS', 'convert_to_mmdeit', 'detect_format', 'register_format',
    'rename_keys', 'CheckpointError', 'download', 'read_checkpoint', 'resolve',
    'unwrap_state_dict', 'LoadReport', 'adapt_pos_embed', 'load_pretrained',
    'load_state_dict_checked'
]
