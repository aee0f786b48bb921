"""Checkpoints that a crash cannot leave unreadable."""
import glob
import os
import os.path as osp
import shutil
import tempfile
from typing import Callable, List, Tuple

from mmengine.dist import is_main_process
from mmengine.fileio import BaseStorageBackend, LocalBackend
from mmengine.hooks import CheckpointHook

from mmdeit.checkpoint import write_durably
from mmdeit.registry import HOOKS
from mmdeit.utils.config_errors import check_positive_int

POINTER = 'last_checkpoint'


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` (same arguments) with its saves ordered
    so that a kill at any moment leaves the latest checkpoint readable:

    1. the new checkpoint is written (atomically when the runner is
       :class:`mmdeit.engine.ReliableRunner`: a temporary file in the same
       folder, fsync, rename);
    2. then ``last_checkpoint``, the pointer ``--resume`` follows, is
       rewritten, atomically too;
    3. then the checkpoints beyond ``max_keep_ckpts`` are deleted.
       mmengine deletes before it saves, so that with ``max_keep_ckpts=1`` a
       crash during the save left no checkpoint at all.

    Temporary files that a killed save left behind are deleted before
    training. Storage other than the local file system is written as
    mmengine writes it.
    """

    def __init__(self, interval: int = -1, **kwargs):
        if interval != -1:
            check_positive_int('interval', interval, type(self).__name__)
        super().__init__(interval=interval, **kwargs)

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if is_main_process() and self._is_local():
            for folder in {self.out_dir, runner.work_dir}:
                for stale in glob.glob(osp.join(folder, '.*.tmp')):
                    name = osp.basename(stale)
                    if '.pth.' in name or name.startswith(f'.{POINTER}.'):
                        os.remove(stale)
                        runner.logger.info(
                            f'removed {stale}, left by a save that was cut')

    def _is_local(self) -> bool:
        return isinstance(self.file_backend, LocalBackend)

    def _save_checkpoint_with_step(self, runner, step, meta):
        # mmengine's save (the only method of CheckpointHook that saves; it
        # is private), with two of its file operations put in order: it
        # removes the outdated checkpoints before it saves and rewrites
        # last_checkpoint in place. It removes through self.file_backend
        # and writes the pointer into runner.work_dir, so both are lent.
        if not self._is_local():
            return super()._save_checkpoint_with_step(runner, step, meta)
        backend = self.file_backend
        self.file_backend = deferred = _RemovalsDeferred(backend)
        try:
            with tempfile.TemporaryDirectory() as scratch:
                super()._save_checkpoint_with_step(
                    _WorkDirElsewhere(runner, scratch), step, meta)
                if is_main_process():
                    write_durably(
                        osp.join(runner.work_dir, POINTER),
                        lambda tmp: shutil.copyfile(
                            osp.join(scratch, POINTER), tmp))
        finally:
            self.file_backend = backend
        deferred.carry_out()


class _RemovalsDeferred:
    """A file backend whose ``remove`` and ``rmtree`` wait for
    :meth:`carry_out`; everything else is the wrapped backend's."""

    def __init__(self, backend: BaseStorageBackend):
        self.backend = backend
        self.removals: List[Tuple[Callable[[str], None], str]] = []

    def __getattr__(self, name: str):
        return getattr(self.backend, name)

    def remove(self, path: str) -> None:
        self.removals.append((self.backend.remove, path))

    def rmtree(self, path: str) -> None:
        self.removals.append((self.backend.rmtree, path))

    def carry_out(self) -> None:
        for remove, path in self.removals:
            remove(path)
        self.removals.clear()


class _WorkDirElsewhere:
    """The runner as mmengine's save sees it: the runner's attributes, but a
    scratch ``work_dir`` (where mmengine writes ``last_checkpoint`` in
    place)."""

    def __init__(self, runner, work_dir: str):
        self.runner = runner
        self.work_dir = work_dir

    def __getattr__(self, name: str):
        return getattr(self.runner, name)
