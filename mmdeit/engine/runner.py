"""mmengine's runner with what a days-long training run needs."""
import copy
import os.path as osp
import pickle
import re
from collections import OrderedDict
from contextlib import nullcontext
from typing import Callable, Optional, Union

from mmengine.dist import master_only
from mmengine.fileio import LocalBackend, get_file_backend
from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from mmengine.runner import CheckpointLoader, Runner, load_state_dict

from mmdeit.checkpoint import (CheckpointError, DownloadError, LoadReport,
                               allow_runner_checkpoints, is_url,
                               load_pretrained, read_checkpoint,
                               write_durably)
from mmdeit.checkpoint.files import forced_weights_only, load_failure
from mmdeit.models.utils import compile_model
from mmdeit.registry import (OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS,
                             RUNNERS)
from mmdeit.utils.config_errors import check_positive_int
from mmdeit.utils.config_paths import (RUNNER_KEYS,
                                       warn_unknown_top_level_keys)
from .hooks.teacher_label_cache_hook import TeacherLabelCacheHook
from .loops import BatchChange, ResumableEpochBasedTrainLoop
from .optimizers.lr_scaling import scale_lr
from .optimizers.non_finite import GUARDED_WRAPPERS, NonFiniteLossGuard
from .optimizers.param_groups import regroup_saved_state
from .optimizers.paramwise_log import summarised_paramwise_options
from .optimizers.settings import check_optim_wrapper
from .schedulers.placement import (all_schedulers, built_schedules,
                                   follow_new_batch)
from .teacher_labels import complete_cache

# The top-level config keys read: mmengine's runner's and mmdeit's own.
TOP_LEVEL_KEYS = RUNNER_KEYS + ('compile', 'trust_checkpoint')


@RUNNERS.register_module()
class ReliableRunner(Runner):
    """mmengine's ``Runner`` (same arguments and config) that:

    - trains epoch-based configs with :class:`ResumableEpochBasedTrainLoop`
      (a resumed run ends bit for bit where an uninterrupted one does, even
      from a checkpoint taken in the middle of an epoch);
    - resumes on another number of processes or batch per process
      (:meth:`resume`): the epoch goes on at its first sample not yet
      trained, the lr follows the new total batch and the schedule the
      samples seen;
    - writes every checkpoint atomically: into a temporary file in the same
      folder, flushed to disk, then renamed (with
      :class:`mmdeit.engine.hooks.AtomicCheckpointHook` the ``last_checkpoint``
      pointer follows only then);
    - starts from ``load_from`` weights of any layout the model zoo reads
      (:meth:`load_weights`), refusing a file that does not fit;
    - reads checkpoints (``--resume``, ``load_from``) with
      :func:`mmdeit.checkpoint.read_checkpoint`: ``weights_only=True`` with
      the types of mmengine's runner checkpoints allowed, on any torch
      version. A file that needs full unpickling loads only with
      ``trust_checkpoint = True`` in the config (``--trust-checkpoint`` of
      tools/train.py), for files whose origin you trust;
    - checks each loss before backward (``optim_wrapper.non_finite_loss``,
      'raise' or 'skip'): the configured wrapper type becomes its registered
      guarded version (``OptimWrapper`` -> ``GuardedOptimWrapper``; see
      :class:`mmdeit.engine.optimizers.non_finite.NonFiniteLossGuard`);
    - scales the lr with the total batch counting accumulated iterations,
      scales the logged ``base_lr`` alike, and logs the lr it trains at
      (see :func:`mmdeit.engine.optimizers.lr_scaling.scale_lr`);
    - opens recorded teacher labels (``model.teacher.cache``): hands the
      model the fingerprint of the run's batches
      (:func:`mmdeit.engine.teacher_labels.batch_fingerprint`) and adds
      :class:`TeacherLabelCacheHook`;
    - with ``compile = True`` (or a dict of ``torch.compile`` arguments),
      compiles the model's backbone, head and teacher in place
      (:func:`mmdeit.models.utils.compile_model`) where mmengine would
      compile the whole ``train_step``.

    Config: ``runner_type = 'ReliableRunner'`` (configs/_base_/
    default_runtime.py); tools/train.py and tools/test.py build it.
    """

    @classmethod
    def from_cfg(cls, cfg) -> 'ReliableRunner':
        # a misspelt top-level key (optim_wraper) would be silently unused
        warn_unknown_top_level_keys(cfg, TOP_LEVEL_KEYS)
        return super().from_cfg(cfg)

    @staticmethod
    def build_dataloader(dataloader, seed=None, diff_rank_seed=False):
        if isinstance(dataloader, dict):
            check_positive_int('batch_size', dataloader.get('batch_size'))
            check_positive_int('num_workers',
                               dataloader.get('num_workers', 0), minimum=0)
        return Runner.build_dataloader(dataloader, seed, diff_rank_seed)
    def build_model(self, model):
        if isinstance(model, dict):
            model = complete_cache(model, self.cfg, self.seed, self.rank,
                                   self.world_size)
        return super().build_model(model)

    def register_hooks(self, default_hooks=None, custom_hooks=None) -> None:
        super().register_hooks(default_hooks, custom_hooks)
        model = self.model.module if is_model_wrapper(self.model) \
            else self.model
        if getattr(model, 'teacher_labels', None) is not None and not any(
                isinstance(hook, TeacherLabelCacheHook)
                for hook in self.hooks):
            self.register_hook(TeacherLabelCacheHook())

    def build_train_loop(self, loop):
        if isinstance(loop, dict) and 'type' not in loop \
                and loop.get('by_epoch', False):
            loop = {k: v for k, v in loop.items() if k != 'by_epoch'}
            loop['type'] = ResumableEpochBasedTrainLoop
            self.logger.info(
                'train loop: EpochBasedTrainLoop -> '
                'ResumableEpochBasedTrainLoop (resumes mid-epoch bit-exactly)')
        return super().build_train_loop(loop)

    def build_optim_wrapper(self, optim_wrapper):
        if isinstance(optim_wrapper, dict):
            check_optim_wrapper(optim_wrapper)
        if isinstance(optim_wrapper, dict) and 'optimizer' in optim_wrapper \
                and _builds_wrapper_from_type(optim_wrapper):
            optim_wrapper = self._guard(optim_wrapper)
        elif isinstance(optim_wrapper, dict):
            self.logger.warning(
                'optim_wrapper has a constructor of its own (not derived '
                'from DefaultOptimWrapperConstructor): losses are not '
                'checked for NaN/inf before the update')
        with summarised_paramwise_options(self.logger):
            return super().build_optim_wrapper(optim_wrapper)

    def _guard(self, optim_wrapper: dict) -> dict:
        """``optim_wrapper`` with its ``type`` replaced by the registered
        wrapper that checks each loss (``OptimWrapper`` ->
        ``GuardedOptimWrapper``...)."""
        wrapper_type = optim_wrapper.get('type', 'OptimWrapper')
        if isinstance(wrapper_type, str):
            wrapper_type = OPTIM_WRAPPERS.get(wrapper_type)
        if not isinstance(wrapper_type, type) or \
                issubclass(wrapper_type, NonFiniteLossGuard):
            return optim_wrapper
        guarded = GUARDED_WRAPPERS.get(wrapper_type)
        if guarded is None:
            self.logger.warning(
                f'optim_wrapper type {wrapper_type.__name__} has no guarded '
                'version: losses are not checked for NaN/inf before the '
                'update (register a class (NonFiniteLossGuard, '
                f'{wrapper_type.__name__}) and name it in optim_wrapper.type)')
            return optim_wrapper
        optim_wrapper = copy.copy(optim_wrapper)
        optim_wrapper['type'] = f'mmdeit.{guarded.__name__}'
        self.logger.info(
            f'optim wrapper: {wrapper_type.__name__} -> '
            f'{wrapper_type.__name__} with NonFiniteLossGuard '
            f'({guarded.__name__}: checks each loss before backward)')
        return optim_wrapper

    def scale_lr(self, optim_wrapper, auto_scale_lr=None) -> None:
        loader = self._train_dataloader
        batch_size = loader['batch_size'] if isinstance(loader, dict) \
            else loader.batch_size
        self.logger.info(scale_lr(optim_wrapper, auto_scale_lr, batch_size,
                                  self.world_size))

    def resume(self,
               filename: str,
               resume_optimizer: bool = True,
               resume_param_scheduler: bool = True,
               map_location: Union[str, Callable] = 'default') -> None:
        """mmengine's resume (weights, optimizer and loss-scaler state,
        schedulers, message hub, counters), then the loop takes up the
        checkpoint's position.

        On another number of processes or batch per process than the
        checkpoint's run (:class:`mmdeit.engine.loops.BatchChange`), the lr
        schedules keep this run's scaled base lr (the configured lr x the new
        total batch / ``auto_scale_lr.base_batch_size``) and lengths in
        iterations, and iteration-based ones go on at the samples seen: the
        epochs done plus the share of the current epoch's samples trained
        (see :func:`mmdeit.engine.schedulers.placement.follow_new_batch`).
        mmengine alone would restore the old lr and count old iterations.
        """
        built = built_schedules(all_schedulers(self.param_schedulers))
        super().resume(filename, resume_optimizer, resume_param_scheduler,
                       map_location)
        loop = self.train_loop
        if not isinstance(loop, ResumableEpochBasedTrainLoop):
            return
        change = loop.restore_position()
        if change is None:
            return
        follow_new_batch(all_schedulers(self.param_schedulers), built,
                         change.step)
        self.logger.info(self._batch_change_line(loop, change))

    def _batch_change_line(self, loop: ResumableEpochBasedTrainLoop,
                           change: BatchChange) -> str:
        # 'lr', or '<optimizer>.lr' of an OptimWrapperDict
        first_lr = next(value[0]
                        for key, value in self.optim_wrapper.get_lr().items()
                        if not key.endswith('base_lr'))
        scaling = self.auto_scale_lr or {}
        rule = ('lr scaled to it (auto_scale_lr)'
                if scaling.get('enable', False) else
                'lr as configured (auto_scale_lr off)')
        return (f'resumed with a total batch of {loop.total_batch()} '
                f'({loop.world_size} process(es) x {loop.batch_size}) where '
                'the checkpoint\'s '
                f'run had {change.total_batch} ({change.world_size} x '
                f'{change.batch_size}): {rule}; iteration-based schedules '
                f'go on at step {change.step:g} ({len(loop.dataloader)} '
                f'iterations per epoch, by the samples seen), lr '
                f'{first_lr:.6g}')

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

    def load_or_resume(self) -> None:
        """Resume as mmengine does; read ``load_from`` weights (not
        resuming) with :meth:`load_weights`, which knows every layout.
        mmengine's own schemes (``open-mmlab://``, ``s3://``...) keep
        mmengine's loading."""
        source = self._load_from
        if self._has_loaded or self._resume or source is None or \
                _mmengine_scheme(source):
            return super().load_or_resume()
        self.load_weights(source)
        self._has_loaded = True

    def load_weights(self, source: str) -> LoadReport:
        """Start from the weights of ``source`` (``load_from``): a checkpoint
        of any layout :func:`mmdeit.checkpoint.load_pretrained` reads
        (mmdeit/mmengine, official/timm, Hugging Face folder, MMPretrain;
        path or URL), converted, with the position embedding resized to the
        model's grid and the LayerNorm eps of a Hugging Face config adopted.

        What fits is loaded and the rest logged; a file that fills less than
        half of the model, or whose head has another number of classes, is
        refused (:class:`CheckpointError`). Hooks then see an mmdeit-layout
        checkpoint of the loaded weights (``after_load_checkpoint``; an
        ``EMAHook`` copies them).
        """
        model = self.model.module if is_model_wrapper(self.model) \
            else self.model
        trusted = self._trusted(source)
        try:
            report = load_pretrained(model, source, strict=False,
                                     trusted=trusted)
        except DownloadError as error:
            raise error.naming('load_from') from None
        self.logger.info(
            f'load_from {source}: {report.layout} layout, {report.loaded} of '
            f'the {report.total} tensors of the model loaded')
        self.call_hook('after_load_checkpoint', checkpoint=dict(
            state_dict=model.state_dict(),
            meta=dict(source=str(source), source_layout=report.layout)))
        return report

    def load_checkpoint(self,
                        filename: str,
                        map_location: Union[str, Callable] = 'cpu',
                        strict: bool = False,
                        revise_keys: list = [(r'^module.', '')]):
        checkpoint = self._read_checkpoint(filename, map_location)
        self._regroup_optimizer_state(checkpoint)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) \
            else self.model
        load_state_dict(model, _model_weights(checkpoint, revise_keys),
                        strict, logger=self.logger)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def _regroup_optimizer_state(self, checkpoint: dict) -> None:
        """A checkpoint whose optimizer state has one param group per
        parameter (mmengine's constructor, and mmdeit's before it merged
        equal groups) resumes into this run's merged groups."""
        saved = checkpoint.get('optimizer')
        if not isinstance(saved, dict) or \
                not isinstance(self.optim_wrapper, OptimWrapper):
            return
        regrouped = regroup_saved_state(saved, self.optim_wrapper.optimizer,
                                        self.model.parameters())
        if regrouped is not None:
            checkpoint['optimizer'] = regrouped
            self.logger.info(
                'optimizer state saved with one param group per parameter '
                f'({len(saved["param_groups"])}) rearranged into this '
                f'run\'s {len(regrouped["param_groups"])} groups')

    def _trusted(self, filename: str) -> bool:
        trusted = bool(self.cfg.get('trust_checkpoint', False))
        if trusted:
            self.logger.warning(f'trust_checkpoint is set: {filename} is '
                                'unpickled without restriction')
        return trusted

    def _read_checkpoint(self, filename: str, map_location) -> dict:
        trusted = self._trusted(filename)
        if _mmengine_scheme(filename):
            # mmengine's loading, with weights_only forced (its downloads
            # ask torch.hub for weights_only=False) and the allow-list of
            # runner checkpoints
            safety = nullcontext() if trusted \
                else forced_weights_only()
            with allow_runner_checkpoints(), safety:
                try:
                    return CheckpointLoader.load_checkpoint(filename,
                                                            map_location)
                except pickle.UnpicklingError as error:
                    raise CheckpointError(
                        f'cannot read checkpoint {filename}: '
                        f'{load_failure(error)}') from None
        return read_checkpoint(filename, map_location, trusted)


def _mmengine_scheme(source) -> bool:
    """Whether ``source`` is for mmengine's ``CheckpointLoader`` (a scheme
    such as ``open-mmlab://`` or ``s3://``, not a path or http(s) URL)."""
    return '://' in str(source) and not is_url(source)


def _model_weights(checkpoint: dict, revise_keys: list) -> OrderedDict:
    """The ``state_dict`` of a checkpoint (or the checkpoint itself), its
    keys rewritten by each ``(pattern, replacement)`` of ``revise_keys``, as
    mmengine's runner loads them."""
    weights = checkpoint.get('state_dict', checkpoint)
    revised = OrderedDict()
    for key, value in weights.items():
        for pattern, replacement in revise_keys:
            key = re.sub(pattern, replacement, key)
        revised[key] = value
    revised._metadata = getattr(weights, '_metadata', OrderedDict())
    return revised


def _builds_wrapper_from_type(optim_wrapper: dict) -> bool:
    """Whether the config's constructor builds ``optim_wrapper.type`` as
    mmengine's default constructor does (so a guarded type reaches it)."""
    constructor = optim_wrapper.get('constructor',
                                    DefaultOptimWrapperConstructor)
    if isinstance(constructor, str):
        constructor = OPTIM_WRAPPER_CONSTRUCTORS.get(constructor)
    return isinstance(constructor, type) and issubclass(
        constructor, DefaultOptimWrapperConstructor)
