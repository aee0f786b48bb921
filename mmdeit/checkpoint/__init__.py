"""Checkpoint files and layouts.

Bottom to top: ``errors`` (the one error type); ``files`` (download, safe
read, durable write) and ``layouts`` (each layout's detection and two-way
key table); ``hf_folder`` (transformers folders); ``reading`` (any source
into a dict); ``exporting`` (timm and transformers releases), ``loading``
(into a model), ``publish``, ``pretrained_init``. ``pos_embed`` is a tensor
function the models use too.
"""
from .errors import CheckpointError, DownloadError
from .exporting import (default_classes, save_hf, save_timm,
                        test_pipeline_of)
from .files import (allow_runner_checkpoints, download, is_url, read_file,
                    resolve, save_weights, write_durably)
from .hf_folder import read_hf_folder
from .layouts import LAYOUTS, detect_layout, from_mmdeit, to_mmdeit
from .loading import (LoadReport, adapt_pos_embed, load_pretrained,
                      load_state_dict_checked)
from .pretrained_init import PretrainedInit  # 'Pretrained' in mmdeit's scope
from .publish import publish_checkpoint
from .reading import read_checkpoint, unwrap_state_dict

__all__ = [
    'CheckpointError', 'DownloadError', 'default_classes', 'save_hf',
    'save_timm', 'test_pipeline_of',
    'allow_runner_checkpoints', 'download', 'is_url', 'read_file', 'resolve',
    'save_weights', 'write_durably', 'read_hf_folder', 'LAYOUTS',
    'detect_layout', 'from_mmdeit', 'to_mmdeit', 'LoadReport',
    'adapt_pos_embed', 'load_pretrained', 'load_state_dict_checked',
    'PretrainedInit', 'publish_checkpoint', 'read_checkpoint',
    'unwrap_state_dict'
]
