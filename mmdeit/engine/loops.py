"""A training loop that a run can be stopped in at any iteration and
resumed from exactly."""
import copy
import logging
from typing import Dict, Optional, Union

from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop
from torch.utils.data import DataLoader

from mmdeit.datasets.samplers import ResumableBatchSampler
from mmdeit.registry import LOOPS
from mmdeit.utils.config_errors import check_positive_int
from mmdeit.utils.seeding import ITERATION_SEEDS, derive_seed, seed_all


@LOOPS.register_module()
class ResumableEpochBasedTrainLoop(EpochBasedTrainLoop):
    """mmengine's ``EpochBasedTrainLoop`` (same arguments) whose training
    goes on, after a restart from any checkpoint, exactly as if it had never
    stopped (bit for bit on the CPU):

    - The data loader batches through :class:`ResumableBatchSampler`
      (installed here unless the config names another ``batch_sampler``):
      every sample is augmented with seeds derived from (run seed, rank,
      epoch, position in the epoch), whichever loader worker loads it.
    - Before each iteration ``random``, numpy and torch (every device) are
      seeded from (run seed, iteration), so the draws of the iteration
      (Mixup/CutMix, drop path) do not depend on what ran before it:
      validation, or the start of a resumed run.
    - Where the loop is (epoch, batches done in it, the sampler's shuffle
      seed) is kept in the message hub under ``'train_position'``, which
      every checkpoint stores. A run resumed from a checkpoint taken in the
      middle of an epoch leaves out the batches already trained, instead of
      running the whole epoch again as mmengine's loop does.

    The run seed is the runner's (``randomness.seed``, or the one mmengine
    drew and stored in the checkpoint); mmengine restores it on resume.
    """

    POSITION = 'train_position'

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 max_epochs: int,
                 val_begin: int = 1,
                 val_interval: int = 1,
                 dynamic_intervals=None) -> None:
        for key, value in (('max_epochs', max_epochs),
                           ('val_begin', val_begin),
                           ('val_interval', val_interval)):
            check_positive_int(key, value, type(self).__name__)
        if isinstance(dataloader, dict) and \
                dataloader.get('batch_sampler') is None:
            dataloader = copy.deepcopy(dataloader)
            dataloader['batch_sampler'] = dict(
                type=ResumableBatchSampler,
                drop_last=dataloader.pop('drop_last', False))
        super().__init__(runner, dataloader, max_epochs, val_begin,
                         val_interval, dynamic_intervals)
        self.batch_sampler: Optional[ResumableBatchSampler] = \
            self.dataloader.batch_sampler
        if not isinstance(self.batch_sampler, ResumableBatchSampler):
            self.batch_sampler = None
            print_log(
                'the train data loader has its own batch sampler: a run '
                'resumed from a checkpoint taken in the middle of an epoch '
                'starts that epoch again, and samples are not seeded one by '
                'one (use ResumableBatchSampler for exact resumption)',
                logger='current', level=logging.WARNING)
        # batches to leave out of the next epoch (set by a resume), and those
        # left out of the current one
        self._skip = self._first_batch = 0

    @property
    def sampler(self):
        """The sampler that orders the indices of an epoch."""
        if self.batch_sampler is not None:
            return self.batch_sampler.sampler
        return self.dataloader.sampler

    def run(self):
        self._restore_position()
        return super().run()

    def run_epoch(self) -> None:
        """mmengine's epoch, less the batches a mid-epoch resume left out."""
        self._first_batch, self._skip = self._skip, 0
        if self.batch_sampler is not None:
            self.batch_sampler.start_epoch(self._epoch, self.runner.seed,
                                           self._first_batch)
        super().run_epoch()

    def run_iter(self, idx: int, data_batch) -> None:
        """mmengine's iteration, seeded from the iteration, with ``idx``
        counted from the start of the epoch (mmengine counts from the first
        batch loaded) and the position recorded for checkpoints."""
        idx += self._first_batch
        seed_all(derive_seed(self.runner.seed, ITERATION_SEEDS, self._iter),
                 accelerators=True)
        # what a checkpoint saved after this iteration must resume from
        self._record_position(self._epoch, idx + 1)
        super().run_iter(idx, data_batch)
        if idx + 1 == len(self.dataloader):
            # and what one saved at the end of the epoch must resume from
            self._record_position(self._epoch + 1, 0)

    def _record_position(self, epoch: int, batches: int) -> None:
        self.runner.message_hub.update_info(self.POSITION, dict(
            epoch=epoch,
            batches=batches,
            batches_per_epoch=len(self.dataloader),
            sampler_seed=getattr(self.sampler, 'seed', None)))

    def _restore_position(self) -> None:
        """After a resume, take up the position the checkpoint stored."""
        position = self.runner.message_hub.get_info(self.POSITION)
        if position is None:
            return
        if position['sampler_seed'] is not None and \
                hasattr(self.sampler, 'seed'):
            # mmengine draws a fresh shuffle seed in every run unless
            # randomness.seed is set and diff_rank_seed is off
            self.sampler.seed = position['sampler_seed']
        batches = position['batches']
        if position['epoch'] != self._epoch or batches == 0:
            return
        if self.batch_sampler is None:
            print_log(f'resuming in the middle of epoch {self._epoch + 1}: '
                      'without ResumableBatchSampler the epoch starts again',
                      logger='current', level=logging.WARNING)
            return
        if position['batches_per_epoch'] != len(self.dataloader):
            print_log(
                f'the checkpoint was taken after {batches} of '
                f'{position["batches_per_epoch"]} batches of epoch '
                f'{self._epoch + 1}; an epoch now has {len(self.dataloader)}'
                ' (batch size or data changed), so the resumed run does not '
                'replay the original one', logger='current',
                level=logging.WARNING)
        self._skip = min(batches, len(self.dataloader))
        print_log(f'resuming epoch {self._epoch + 1} after its first '
                  f'{self._skip} batches', logger='current')
