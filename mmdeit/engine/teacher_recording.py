"""Record a config's teacher labels without training a student
(``tools/analysis_tools/record_teacher.py``): the batches of every epoch,
drawn and mixed exactly as the training loop draws them, through the
teacher, into ``model.teacher.cache``."""
from typing import Optional

import torch
from mmengine.dist import get_rank
from mmengine.model import is_model_wrapper
from mmengine.utils import ProgressBar

from mmdeit.datasets.samplers import ResumableBatchSampler
from mmdeit.utils.seeding import ITERATION_SEEDS, derive_seed, seed_all


def record_teacher_labels(runner, progress: bool = True) -> dict:
    """Record every batch of every epoch that the runner's teacher-label
    cache lacks, on each process its own shard. Returns the counts:
    ``dict(folder=..., epochs=..., recorded=<batches run through the
    teacher>, present=<batches already there>)``.

    The loop reproduces :class:`ResumableEpochBasedTrainLoop`: the batch
    sampler started at the epoch (skipping the batches recorded at its
    start), the sampler's ``set_epoch``, and before each batch the global
    generators seeded from (run seed, iteration), which fixes the
    Mixup/CutMix draws of the data preprocessor. Each label carries the
    digest of its batch, so a training run that drew another batch would
    refuse it rather than learn from it.
    """
    model = runner.model.module if is_model_wrapper(runner.model) \
        else runner.model
    labels = getattr(model, 'teacher_labels', None)
    if labels is None:
        raise ValueError('record_teacher needs model.teacher.cache (and a '
                         "distillation of type 'hard' or 'soft')")
    loop = runner.train_loop
    batch_sampler: Optional[ResumableBatchSampler] = loop.batch_sampler
    if batch_sampler is None:
        raise ValueError('record_teacher replays the batches of '
                         'ResumableBatchSampler; the config names another '
                         'batch sampler')
    batches = len(loop.dataloader)
    todo = {epoch: None for epoch in range(labels.epochs)
            if epoch not in labels.recorded}
    counts = dict(folder=labels.folder, epochs=labels.epochs, recorded=0,
                  present=batches * (labels.epochs - len(todo)))
    bar = ProgressBar(batches * len(todo)) \
        if progress and todo and get_rank() == 0 else None
    model.eval()
    for epoch in todo:
        labels.start_epoch(epoch, batches)
        missing = labels.log.missing(batches)
        counts['present'] += batches - len(missing)
        if not missing and bar is not None:
            bar.update(batches)
        if missing:
            first = missing[0]
            if bar is not None and first:
                bar.update(first)
            batch_sampler.start_epoch(epoch, runner.seed, first)
            if hasattr(loop.sampler, 'set_epoch'):
                loop.sampler.set_epoch(epoch)
            for index, data in enumerate(loop.dataloader, start=first):
                if not labels.recorded_batch(index):
                    record_batch(model, labels, data, runner.seed,
                                 epoch * batches + index, index)
                    counts['recorded'] += 1
                if bar is not None:
                    bar.update()
        labels.end_epoch()
    labels.close()
    return counts


@torch.no_grad()
def record_batch(model, labels, data: dict, seed: int, iteration: int,
                 index: int) -> None:
    """One batch as the training loop preprocesses it at ``iteration``,
    through the teacher into the cache."""
    seed_all(derive_seed(seed, ITERATION_SEEDS, iteration), accelerators=True)
    labels.at_batch(index)
    inputs = model.data_preprocessor(data, training=True)['inputs']
    model.teacher_targets(inputs)
