"""Checkpoint files: safe reading, layout detection and conversion, loading."""
from .formats import (FORMATS, convert_to_mmdeit, detect_format,
                      register_format, rename_keys)
from .hf import read_hf_folder  # registers the Hugging Face layout
from .io import (CheckpointError, allow_runner_checkpoints, download,
                 read_checkpoint, resolve, unwrap_state_dict, write_durably)
from .loading import (LoadReport, adapt_pos_embed, load_pretrained,
                      load_state_dict_checked)
from .mmpretrain import mmpretrain_to_mmdeit  # registers MMPretrain's layout
from .pretrained_init import PretrainedInit  # 'Pretrained' in mmdeit's scope
from .regnet import timm_regnet_to_mmdeit  # registers timm's RegNet layout

__all__ = [
    'FORMATS', 'convert_to_mmdeit', 'detect_format', 'register_format',
    'rename_keys', 'CheckpointError', 'allow_runner_checkpoints',
    'write_durably', 'download', 'read_checkpoint', 'resolve',
    'unwrap_state_dict', 'LoadReport', 'adapt_pos_embed', 'load_pretrained',
    'load_state_dict_checked', 'PretrainedInit', 'read_hf_folder',
    'mmpretrain_to_mmdeit', 'timm_regnet_to_mmdeit'
]
