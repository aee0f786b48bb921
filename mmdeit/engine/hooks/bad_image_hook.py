"""Count the unreadable images training met, and stop when there are too
many."""
from mmengine.hooks import Hook

from mmdeit.datasets.fetching import unreadable_images_of
from mmdeit.registry import HOOKS
from mmdeit.utils.config_errors import check_number


class TooManyBadImagesError(RuntimeError):
    """More of an epoch's images were unreadable than the run allows."""


@HOOKS.register_module()
class BadImageHook(Hook):
    """Stop training when more than ``max_bad_fraction`` of an epoch's
    samples had to be replaced because their image could not be read.

    mmdeit's datasets replace such a sample by another one and record the
    file in the sample they return
    (:class:`mmdeit.datasets.fetching.SampleFetchMixin`). Loader workers are
    separate processes, so the record travels with the batch, and this hook
    counts, in the main process, every replacement of the epoch on its rank,
    whichever worker made it. The count is kept in the message hub, so a
    run resumed in the middle of an epoch goes on counting.

    Args:
        max_bad_fraction: the share of the samples of an epoch (on each
            rank) that may be replaced. Once more are, training stops with
            :class:`TooManyBadImagesError` naming the first files. 0 stops at
            the first unreadable image.
    """

    priority = 'NORMAL'
    COUNT = 'bad_images'
    SHOWN = 5

    def __init__(self, max_bad_fraction: float = 0.01):
        self.max_bad_fraction = check_number(
            'max_bad_fraction', max_bad_fraction, type(self).__name__, 0, 1)

    def before_train_epoch(self, runner) -> None:
        count = runner.message_hub.get_info(self.COUNT)
        if count is None or count['epoch'] != runner.epoch:
            runner.message_hub.update_info(
                self.COUNT, dict(epoch=runner.epoch, count=0, first=[]))

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        found = unreadable_images_of(data_batch)
        if not found:
            return
        count = dict(runner.message_hub.get_info(self.COUNT))
        count['count'] += len(found)
        count['first'] = (list(count['first']) + list(found))[:self.SHOWN]
        runner.message_hub.update_info(self.COUNT, count)
        samples = len(runner.train_dataloader.batch_sampler.sampler)
        allowed = int(self.max_bad_fraction * samples)
        if count['count'] > allowed:
            raise TooManyBadImagesError(
                f'{count["count"]} of the {samples} samples of epoch '
                f'{runner.epoch + 1} (on this rank) had unreadable images, '
                f'more than max_bad_fraction={self.max_bad_fraction} allows '
                f'({allowed}); training stops. The first ones:\n  ' +
                '\n  '.join(count['first']) + '\nRepair or remove these '
                'files, or raise default_hooks.bad_images.max_bad_fraction.')

    def after_train_epoch(self, runner) -> None:
        count = runner.message_hub.get_info(self.COUNT)
        if count and count['count']:
            runner.logger.warning(
                f'epoch {runner.epoch + 1}: {count["count"]} samples were '
                'replaced because their image was unreadable, e.g. ' +
                '; '.join(count['first']))
