"""Publish and export the checkpoints a training run saves."""
import os.path as osp
from typing import Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmdeit.checkpoint import (default_classes, read_checkpoint, save_hf,
                               save_timm, test_pipeline_of)
from mmdeit.checkpoint.publish import publish_checkpoint
from mmdeit.datasets.categories import IMAGENET_CATEGORIES
from mmdeit.registry import HOOKS


@HOOKS.register_module()
class ExportCheckpointHook(Hook):
    """Turn the last checkpoint of training (and, with ``every_checkpoint``,
    each one ``CheckpointHook`` saves) into release files under
    ``{work_dir}/{out_dir}``:

    - ``{name}-{sha8}.pth``: the published checkpoint (weights, EMA ones
      when ``EMAHook`` is on, and meta; see
      :func:`mmdeit.checkpoint.publish.publish_checkpoint`);
    - ``{name}_hf/``: a transformers folder, when ``hf`` is True;
    - ``{name}_timm.pth``: the official/timm layout, when ``timm`` is True;

    where ``name`` is the checkpoint's (``epoch_300``, ``iter_1000``).

    Args:
        out_dir: folder under the work dir.
        hf: also export for Hugging Face transformers.
        timm: also export in the official/timm layout.
        every_checkpoint: export every saved checkpoint, not only the last.

    Runs after ``CheckpointHook`` (lowest priority) and on the main process
    only. Config: ``custom_hooks = [dict(type='ExportCheckpointHook',
    hf=True, timm=True)]``.
    """
    priority = 'LOWEST'

    def __init__(self, out_dir: str = 'release', hf: bool = False,
                 timm: bool = False, every_checkpoint: bool = False):
        self.out_dir = out_dir
        self.hf = hf
        self.timm = timm
        self.every_checkpoint = every_checkpoint
        self.exported: Optional[str] = None

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if self.every_checkpoint:
            self._export_new(runner)

    def after_train_epoch(self, runner) -> None:
        if self.every_checkpoint:
            self._export_new(runner)

    def after_train(self, runner) -> None:
        if self._latest(runner) is None:
            runner.logger.warning(
                'ExportCheckpointHook: no checkpoint was saved; is '
                'CheckpointHook on?')
            return
        self._export_new(runner)

    @staticmethod
    def _latest(runner) -> Optional[str]:
        # CheckpointHook records each checkpoint it saves in the message hub.
        return runner.message_hub.get_info('last_ckpt')

    def _export_new(self, runner) -> None:
        latest = self._latest(runner)
        if latest is None or latest == self.exported \
                or not is_main_process():
            return
        self.exported = latest
        self.export(runner, latest)

    def export(self, runner, checkpoint_path: str) -> None:
        """Write the release files of one checkpoint."""
        name = osp.splitext(osp.basename(checkpoint_path))[0]
        out_dir = osp.join(runner.work_dir, self.out_dir)
        published = publish_checkpoint(checkpoint_path,
                                       osp.join(out_dir, f'{name}.pth'))
        if not (self.hf or self.timm):
            return
        checkpoint = read_checkpoint(published)
        state = checkpoint['state_dict']
        if self.timm:
            save_timm(state, osp.join(out_dir, f'{name}_timm.pth'))
        if self.hf:
            model = runner.model.module if is_model_wrapper(runner.model) \
                else runner.model
            classes = default_classes(model.head.num_classes,
                                      checkpoint.get('meta'),
                                      IMAGENET_CATEGORIES)
            save_hf(model, osp.join(out_dir, f'{name}_hf'), state, classes,
                    test_pipeline_of(runner.cfg))
        runner.logger.info(f'ExportCheckpointHook: {checkpoint_path} -> '
                           f'{out_dir}')
