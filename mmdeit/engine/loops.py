"""A training loop that a run can be stopped in at any iteration and
resumed from: exactly, or on another number of processes."""
import copy
import logging
from typing import Dict, NamedTuple, Optional, Union

from mmengine.dist import broadcast_object_list, get_world_size
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop
from torch.utils.data import DataLoader

from mmdeit.datasets.samplers import ResumableBatchSampler
from mmdeit.registry import LOOPS
from mmdeit.utils.config_errors import check_positive_int
from mmdeit.utils.seeding import ITERATION_SEEDS, derive_seed, seed_all
from .optimizers.lr_scaling import images_per_update
from .schedulers.placement import all_schedulers, place_schedulers


class BatchChange(NamedTuple):
    """A resume on another number of processes or batch per process than
    the run that wrote the checkpoint (its ``world_size``, ``batch_size`` and
    ``total_batch``). ``step``: where this run's iteration-based schedules
    go on, in its own iterations (epochs done x iterations per epoch + the
    samples of the epoch trained / this run's samples per iteration)."""
    world_size: int
    batch_size: int
    total_batch: int
    step: float


@LOOPS.register_module()
class ResumableEpochBasedTrainLoop(EpochBasedTrainLoop):
    """mmengine's ``EpochBasedTrainLoop`` (same arguments) whose training
    goes on after a restart from any checkpoint: exactly as if it had never
    stopped (bit for bit on the CPU) on the same number of processes and
    batch per process, and at the first sample not yet trained on others.

    - The data loader batches through :class:`ResumableBatchSampler`
      (installed here unless the config names another ``batch_sampler``):
      every sample is augmented with seeds derived from (run seed, epoch,
      the sample's position in the epoch's global order), whichever process
      or loader worker loads it.
    - Before each iteration ``random``, numpy and torch (every device) are
      seeded from (run seed of the rank, iteration), so the draws of the
      iteration (Mixup/CutMix, drop path) do not depend on what ran before
      it: validation, or the start of a resumed run.
    - Position. Before each iteration the loop records where the run will
      be after it, in the message hub under ``'train_position'`` (every
      checkpoint stores it), counted in samples:

      - ``epoch``: the epoch in progress (0-based); after an epoch's last
        iteration the next one, at ``samples`` 0.
      - ``samples``: entries of the epoch's global order trained, all
        processes together. Both samplers deal one order, entry ``p`` to
        rank ``p % world_size`` (a repeated sample is an entry each time;
        see :mod:`mmdeit.datasets.samplers.epoch_order`), so after ``k``
        iterations of ``b`` samples on each of ``W`` processes, in a pass
        that started at entry ``s``, ``samples = s + k * b * W``. Rank
        ``r`` trains entries ``s + r + W * j`` of the order; the entry at
        position ``p`` has the augmentation seed ``derive_seed(run seed,
        SAMPLE_SEEDS, epoch) + p`` whatever the number of processes.
      - ``epoch_samples``: entries the epoch trains (before padding its
        last round to the number of processes).
      - ``world_size``, ``batch_size`` (per process) and ``total_batch``
        (accumulated iterations included) of the run that recorded it.
      - ``realign_schedule``: whether the epoch's lr schedule counts the
        samples of a changed batch (the next epoch starts it at a whole
        number of epochs).
      - ``sampler_seed``: the sampler's shuffle seed.

    - Resuming, the epoch goes on at entry ``samples`` of its order: on the
      same number of processes and batch per process the trained batches
      are left out; otherwise the remaining entries up to ``epoch_samples``
      are dealt to this run's processes (the last round padded with fewer
      than ``world_size`` entries that follow) and the returned
      :class:`BatchChange` tells :class:`mmdeit.engine.ReliableRunner`
      where the lr schedule goes on. The batches of a resumed pass are
      numbered so that its last one is ``len(dataloader) - 1``, where hooks
      and logs expect the end of an epoch.

    The run seed is rank 0's runner seed (``randomness.seed``, or the one
    mmengine drew and stored in the checkpoint; mmengine restores it on
    resume).
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
        self.world_size = get_world_size()
        self._restored = False
        # the pass a resume sets up for its first epoch: (start, length)
        self._resumed_pass = None
        # the current pass: its start, length, batches, and the number of
        # the first batch
        self._pass_start, self._pass_length = 0, None
        self._pass_batches = len(self.dataloader)
        self._first_batch = 0
        self._realign_schedule = False
        self._sample_seed: Optional[int] = None

    @property
    def sampler(self):
        """The sampler that orders the indices of an epoch."""
        if self.batch_sampler is not None:
            return self.batch_sampler.sampler
        return self.dataloader.sampler

    @property
    def batch_size(self) -> int:
        """Samples per process and iteration."""
        if self.batch_sampler is not None:
            return self.batch_sampler.batch_size
        return self.dataloader.batch_size or 0

    def run(self):
        self.restore_position()
        # rank 0's seed (with randomness.diff_rank_seed every rank has its
        # own), so that samples are seeded alike on every number of processes
        seed = [self.runner.seed]
        broadcast_object_list(seed)
        self._sample_seed = seed[0]
        return super().run()

    def run_epoch(self) -> None:
        """mmengine's epoch, from where a resume left it."""
        start, length = self._resumed_pass or (0, None)
        self._resumed_pass = None
        if self._realign_schedule and start == 0:
            place_schedulers(all_schedulers(self.runner.param_schedulers),
                             self._epoch * len(self.dataloader))
            self._realign_schedule = False
        self._set_up_pass(start, length, self._sample_seed)
        super().run_epoch()

    def _set_up_pass(self, start: int, length: Optional[int],
                     seed: Optional[int]) -> None:
        if self.batch_sampler is None:
            self._pass_start, self._pass_length = 0, \
                len(self.dataloader) * self.batch_size * self.world_size
            self._pass_batches = len(self.dataloader)
        else:
            self.batch_sampler.start_epoch(self._epoch, seed, start, length)
            self._pass_start = start
            self._pass_length = self.batch_sampler.length
            self._pass_batches = self.batch_sampler.pass_batches()
        self._first_batch = max(0, len(self.dataloader) - self._pass_batches)

    def run_iter(self, idx: int, data_batch) -> None:
        """mmengine's iteration, seeded from the iteration, with ``idx``
        numbered as the class says and the position recorded for
        checkpoints."""
        done = idx  # batches of the pass before this one
        idx += self._first_batch
        seed_all(derive_seed(self.runner.seed, ITERATION_SEEDS, self._iter),
                 accelerators=True)
        last = done + 1 >= self._pass_batches
        # what a checkpoint saved after this iteration must resume from
        samples = self._pass_length if last else self._pass_start + (
            done + 1) * self.batch_size * self.world_size
        self._record_position(self._epoch, samples, self._pass_length)
        super().run_iter(idx, data_batch)
        if last:
            # and what one saved at the end of the epoch must resume from
            self._record_position(
                self._epoch + 1, 0,
                self.batch_sampler.epoch_length() if self.batch_sampler
                else self._pass_length)

    def _record_position(self, epoch: int, samples: int,
                         epoch_samples: int) -> None:
        self.runner.message_hub.update_info(self.POSITION, dict(
            epoch=epoch,
            samples=samples,
            epoch_samples=epoch_samples,
            world_size=self.world_size,
            batch_size=self.batch_size,
            total_batch=self.total_batch(),
            realign_schedule=self._realign_schedule,
            sampler_seed=getattr(self.sampler, 'seed', None)))

    def total_batch(self) -> Optional[int]:
        """Images per optimizer update, all processes and accumulated
        iterations together (None where optimizers accumulate
        differently)."""
        try:
            return images_per_update(self.runner.optim_wrapper,
                                     self.batch_size, self.world_size)
        except ValueError:  # optimizers accumulating differently
            return None

    def restore_position(self) -> Optional[BatchChange]:
        """After a resume, take up the position the checkpoint stored (once:
        :class:`mmdeit.engine.ReliableRunner` calls it as it resumes,
        :meth:`run` otherwise).

        Returns:
            :class:`BatchChange` when this run's number of processes or
            batch (per process, or in all) differs from the recording run's,
            else None.
        """
        if self._restored:
            return None
        self._restored = True
        position = self.runner.message_hub.get_info(self.POSITION)
        if position is None:
            return None
        if position['sampler_seed'] is not None and \
                hasattr(self.sampler, 'seed'):
            # mmengine draws a fresh shuffle seed in every run unless
            # randomness.seed is set and diff_rank_seed is off
            self.sampler.seed = position['sampler_seed']
        if 'samples' not in position:
            position = self._position_in_samples(position)
        if position['epoch'] != self._epoch:
            return None
        self._realign_schedule = position['realign_schedule']
        samples, length = position['samples'], position['epoch_samples']
        if samples > 0 and self._can_go_on(samples, length):
            self._resumed_pass = (samples, length)
        recorded = (position['world_size'], position['batch_size'],
                    position['total_batch'])
        change = None
        if recorded != (self.world_size, self.batch_size,
                        self.total_batch()):
            trained = samples if self._resumed_pass else 0
            change = BatchChange(*recorded, step=self._epoch * len(
                self.dataloader) + trained / (self.batch_size *
                                              self.world_size))
            # the schedule counts this epoch's samples; the next epoch
            # starts it at a whole number of epochs
            self._realign_schedule = bool(trained)
        self._set_up_pass(*(self._resumed_pass or (0, None)), seed=None)
        # iterations left, for mmengine's count (ETA, the last window of
        # gradient accumulation)
        self._max_iters = self._iter + self._pass_batches + (
            self._max_epochs - self._epoch - 1) * len(self.dataloader)
        if self._resumed_pass is not None:
            self._log_resumed_pass(position)
        return change

    def _can_go_on(self, samples: int, length: int) -> bool:
        """Whether the epoch can go on at entry ``samples`` of ``length``;
        if not, say that it starts again."""
        why = None
        if self.batch_sampler is None:
            why = 'without ResumableBatchSampler'
        else:
            try:
                self.batch_sampler.start_epoch(self._epoch, None, samples,
                                               length)
            except ValueError as error:
                why = str(error)
        if why is not None:
            print_log(f'resuming in the middle of epoch {self._epoch + 1}: '
                      f'{why}; the epoch starts again', logger='current',
                      level=logging.WARNING)
        return why is None

    def _position_in_samples(self, position: dict) -> dict:
        """A position recorded in batches (by mmdeit before it counted
        samples), for this run's processes and batch."""
        if position['batches_per_epoch'] != len(self.dataloader):
            print_log(
                f'the checkpoint was taken after {position["batches"]} of '
                f'{position["batches_per_epoch"]} batches of epoch '
                f'{position["epoch"] + 1}; an epoch now has '
                f'{len(self.dataloader)} (batch size or data changed), so the '
                'resumed run does not replay the original one',
                logger='current', level=logging.WARNING)
        samples = min(position['batches'], len(self.dataloader)) * \
            self.batch_size * self.world_size
        length = self.batch_sampler.epoch_length() if self.batch_sampler \
            else len(self.dataloader) * self.batch_size * self.world_size
        return dict(
            position, samples=min(samples, length), epoch_samples=length,
            world_size=self.world_size, batch_size=self.batch_size,
            total_batch=self.total_batch(), realign_schedule=False)

    def _log_resumed_pass(self, position: dict) -> None:
        samples, length = position['samples'], position['epoch_samples']
        batches = self._pass_batches
        message = (f'resuming epoch {self._epoch + 1} after its first '
                   f'{self._first_batch} batches ({samples} of its {length} '
                   'samples)')
        recorded = (position['world_size'], position['batch_size'])
        if recorded != (self.world_size, self.batch_size):
            padding = self._pass_batches and (
                self.batch_sampler.pass_size() * self.world_size -
                (length - samples))
            message = (
                f'resuming epoch {self._epoch + 1} after its first {samples} '
                f'of {length} samples, trained on {recorded[0]} process(es) '
                f'x {recorded[1]}: the other {length - samples} go to '
                f'{self.world_size} process(es) x {self.batch_size} in '
                f'{batches} batches ({padding} of them again to fill the '
                'last round), numbered from '
                f'{self._first_batch + 1} of {len(self.dataloader)}')
        print_log(message, logger='current')
