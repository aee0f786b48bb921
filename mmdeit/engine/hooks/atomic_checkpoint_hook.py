"""Checkpoints that a crash cannot leave unreadable."""
import glob
import os
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook

from mmdeit.checkpoint import write_durably
from mmdeit.registry import HOOKS


def _write_text(text: str):
    def write(path: str) -> None:
        with open(path, 'w') as f:
            f.write(text)
    return write


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

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if is_main_process() and self._is_local():
            for folder in {self.out_dir, runner.work_dir}:
                for stale in glob.glob(osp.join(folder, '.*.tmp')):
                    name = osp.basename(stale)
                    if '.pth.' in name or name.startswith('.last_checkpoint.'):
                        os.remove(stale)
                        runner.logger.info(
                            f'removed {stale}, left by a save that was cut')

    def _is_local(self) -> bool:
        return isinstance(self.file_backend, LocalBackend)

    def _save_checkpoint_with_step(self, runner, step, meta):
        if not self._is_local():
            return super()._save_checkpoint_with_step(runner, step, meta)
        outdated = []
        # _save_checkpoint and _save_best_checkpoint may both save `step`
        if self.max_keep_ckpts > 0 and not (
                self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                outdated.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)

        runner.save_checkpoint(
            self.out_dir,
            filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        write_durably(osp.join(runner.work_dir, 'last_checkpoint'),
                      _write_text(self.last_ckpt))
        for old_step in outdated:
            path = self.file_backend.join_path(
                self.out_dir, self.filename_tmpl.format(old_step))
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
