"""Tell a student's recorded teacher labels where the training loop is."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmdeit.registry import HOOKS


@HOOKS.register_module()
class TeacherLabelCacheHook(Hook):
    """Drive the model's ``teacher_labels`` (``model.teacher.cache``): the
    epoch and its number of batches before it, the index of each batch in
    its epoch before it (the record key, with the process's rank), and the
    end of the epoch, when its labels are sealed. ``ReliableRunner`` adds
    it to a run whose model has a cache."""

    priority = 'VERY_HIGH'

    @staticmethod
    def labels(runner):
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        return getattr(model, 'teacher_labels', None)

    def before_train_epoch(self, runner) -> None:
        self.labels(runner).start_epoch(runner.epoch,
                                        len(runner.train_dataloader))

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        self.labels(runner).at_batch(batch_idx)

    def after_train_epoch(self, runner) -> None:
        self.labels(runner).end_epoch()

    def after_run(self, runner) -> None:
        self.labels(runner).close()
