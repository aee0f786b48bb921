"""Host-to-GPU transfers as a CUDA training run wants them."""
from typing import Optional

import torch
from mmengine.config import Config

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def configure_cuda_transfers(cfg: Config,
                             cuda: Optional[bool] = None) -> Config:
    """On CUDA (``cuda``, default: whether torch sees a GPU), let the data
    loaders hand over batches in pinned memory and the data preprocessor
    copy them to the GPU without blocking, so that the copy of a batch
    overlaps the work queued before it. Values the config sets itself are
    kept. Returns ``cfg``.
    """
    if not (torch.cuda.is_available() if cuda is None else cuda):
        return cfg
    for name in LOADERS:
        loader = cfg.get(name)
        if isinstance(loader, dict):
            loader.setdefault('pin_memory', True)
    if isinstance(cfg.get('data_preprocessor'), dict):
        cfg.data_preprocessor.setdefault('non_blocking', True)
    else:
        cfg.model.setdefault('data_preprocessor', {})
        cfg.model.data_preprocessor.setdefault('non_blocking', True)
    return cfg
