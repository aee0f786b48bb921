"""Record in every checkpoint where a distilled student's teacher came
from (its weights are not in the checkpoint)."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmdeit.registry import HOOKS


@HOOKS.register_module()
class DistillationRecordHook(Hook):
    """Write the model's ``distillation_record()`` (distillation type,
    alpha, tau, and the teacher's config and checkpoint) into
    ``checkpoint['meta']['distillation']`` before each save. Models without
    that method are left alone."""

    priority = 'LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        record = getattr(model, 'distillation_record', None)
        if record is not None:
            checkpoint.setdefault('meta', {})['distillation'] = record()
