"""Resuming a training run from a runner checkpoint.

:func:`configure_resume` turns the ``--resume`` option into the config keys
mmengine's runner reads; :func:`run_training` runs the training loop where
``torch.load`` (``weights_only=True`` by default since torch 2.6) accepts the
non-tensor objects of mmengine's own checkpoints, and nothing else.
"""
from typing import Optional

from mmengine.config import Config
from mmengine.runner import Runner

from mmdeit.checkpoint import allow_runner_checkpoints


def configure_resume(cfg: Config, resume: Optional[str]) -> None:
    """``resume``: None (start afresh, or from ``cfg.load_from`` weights),
    'auto' (the latest checkpoint of the work dir, if any) or a checkpoint
    path. Resuming restores weights, optimizer, schedulers, message hub and
    the epoch/iteration counters."""
    if resume is None:
        return
    cfg.resume = True
    cfg.load_from = None if resume == 'auto' else resume


def run_training(runner: Runner):
    """``runner.train()`` with safe loading of runner checkpoints; returns
    the trained model."""
    with allow_runner_checkpoints():
        return runner.train()
