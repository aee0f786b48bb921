"""mmengine's runner with what a days-long training run needs."""
import copy
import os.path as osp
from typing import Callable, Optional, Union

from mmengine.dist import master_only
from mmengine.fileio import LocalBackend, get_file_backend
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import (_load_checkpoint,
                                        _load_checkpoint_to_model)

from mmdeit.checkpoint.io import (CheckpointError, allow_runner_checkpoints,
                                  is_url, read_checkpoint, write_durably)
from mmdeit.registry import OPTIM_WRAPPERS, RUNNERS
from mmdeit.models.utils import compile_model
from .loops import ResumableEpochBasedTrainLoop
from .optimizers.non_finite import guarded


@RUNNERS.register_module()
class ReliableRunner(Runner):
    """mmengine's ``Runner`` (same arguments and config) that:

    - trains epoch-based configs with :class:`ResumableEpochBasedTrainLoop`
      (a resumed run ends bit for bit where an uninterrupted one does, even
      from a checkpoint taken in the middle of an epoch);
    - writes every checkpoint atomically: into a temporary file in the same
      folder, flushed to disk, then renamed (with
      :class:`mmdeit.engine.hooks.AtomicCheckpointHook` the ``last_checkpoint``
      pointer follows only then);
    - reads checkpoints (``--resume``, ``load_from``) with
      :func:`mmdeit.checkpoint.read_checkpoint`: ``weights_only=True`` with
      the types of mmengine's runner checkpoints allowed, on any torch
      version. A file that needs full unpickling loads only with
      ``trust_checkpoint = True`` in the config (``--trust-checkpoint`` of
      tools/train.py), for files whose origin you trust;
    - checks each loss before backward (``optim_wrapper.non_finite_loss``,
      'raise' or 'skip'; see
      :class:`mmdeit.engine.optimizers.non_finite.NonFiniteLossGuard`);
    - with ``compile = True`` (or a dict of ``torch.compile`` arguments),
      compiles the model's backbone, head and teacher in place
      (:func:`mmdeit.models.utils.compile_model`) where mmengine would
      compile the whole ``train_step``.

    Config: ``runner_type = 'ReliableRunner'`` (configs/_base_/
    default_runtime.py); tools/train.py and tools/test.py build it.
    """

    def build_train_loop(self, loop):
        if isinstance(loop, dict) and 'type' not in loop \
                and loop.get('by_epoch', False):
            loop = {k: v for k, v in loop.items() if k != 'by_epoch'}
            loop['type'] = ResumableEpochBasedTrainLoop
        return super().build_train_loop(loop)

    def build_optim_wrapper(self, optim_wrapper):
        if isinstance(optim_wrapper, dict) and 'optimizer' in optim_wrapper \
                and 'constructor' not in optim_wrapper:
            wrapper_type = optim_wrapper.get('type', 'OptimWrapper')
            if isinstance(wrapper_type, str):
                wrapper_type = OPTIM_WRAPPERS.get(wrapper_type)
            if wrapper_type is not None:
                optim_wrapper = copy.copy(optim_wrapper)
                optim_wrapper['type'] = guarded(wrapper_type)
        elif isinstance(optim_wrapper, dict):
            self.logger.warning(
                'optim_wrapper has its own constructor: losses are not '
                'checked for NaN/inf before the update')
        return super().build_optim_wrapper(optim_wrapper)

    def _maybe_compile(self, target: str) -> None:
        # mmengine calls this with target='train_step' before training.
        model = self.model.module if is_model_wrapper(self.model) \
            else self.model
        options = self.cfg.get('compile')
        if options:
            compile_model(model, options)
            self.logger.info('compiled the backbone, head and teacher; the '
                             'first iterations are slow')

    @master_only
    def save_checkpoint(self,
                        out_dir: str,
                        filename: str,
                        file_client_args: Optional[dict] = None,
                        save_optimizer: bool = True,
                        save_param_scheduler: bool = True,
                        meta: Optional[dict] = None,
                        by_epoch: bool = True,
                        backend_args: Optional[dict] = None):
        save = super().save_checkpoint
        options = dict(save_optimizer=save_optimizer,
                       save_param_scheduler=save_param_scheduler, meta=meta,
                       by_epoch=by_epoch)
        if file_client_args is not None or not isinstance(
                get_file_backend(out_dir, backend_args=backend_args),
                LocalBackend):
            return save(out_dir, filename, file_client_args,
                        backend_args=backend_args, **options)
        write_durably(
            osp.join(out_dir, filename),
            lambda tmp: save(osp.dirname(tmp), osp.basename(tmp), **options))

    def load_checkpoint(self,
                        filename: str,
                        map_location: Union[str, Callable] = 'cpu',
                        strict: bool = False,
                        revise_keys: list = [(r'^module.', '')]):
        checkpoint = self._read_checkpoint(filename, map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) \
            else self.model
        checkpoint = _load_checkpoint_to_model(
            model, checkpoint, strict, revise_keys=revise_keys)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def _read_checkpoint(self, filename: str, map_location) -> dict:
        trusted = bool(self.cfg.get('trust_checkpoint', False))
        if trusted:
            self.logger.warning(f'trust_checkpoint is set: {filename} is '
                                'unpickled without restriction')
        if '://' in str(filename) and not is_url(filename):
            # mmengine's own schemes (open-mmlab://, s3://...): torch's
            # default loading (weights_only from torch 2.6) with the
            # allow-list of runner checkpoints
            with allow_runner_checkpoints():
                return _load_checkpoint(filename, map_location)
        try:
            return read_checkpoint(filename, map_location, trusted)
        except CheckpointError as error:
            if trusted or 'trusted=True' not in str(error):
                raise
            raise CheckpointError(
                f'{error} (tools/train.py: --trust-checkpoint; in a config: '
                'trust_checkpoint = True)') from error
