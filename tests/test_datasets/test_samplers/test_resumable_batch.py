"""ResumableBatchSampler: an epoch interrupted on one number of processes
and batch per process goes on, on any other, at its first entry not yet
trained, in the same global order, each entry once (padding aside), every
entry with the augmentation seed it has in an uninterrupted epoch. The ranks
are simulated in one process."""
import math
from collections import Counter
from contextlib import ExitStack
from unittest import mock

import mmengine.dataset.sampler as mmengine_sampler
import pytest
import torch
from mmengine.dataset import DefaultSampler
from torch.utils.data import Sampler

from mmdeit.datasets.samplers import (RepeatAugSampler, ResumableBatchSampler,
                                      epoch_order, repeat_aug,
                                      resumable_batch)
from mmdeit.utils.seeding import SAMPLE_SEEDS, derive_seed

SEED, RUN_SEED, EPOCH = 5, 11, 3


def on_rank(rank: int, world_size: int, build):
    """``build()`` as rank ``rank`` of ``world_size`` processes sees it."""
    with ExitStack() as stack:
        for module in (mmengine_sampler, repeat_aug, resumable_batch):
            stack.enter_context(mock.patch.object(
                module, 'get_dist_info', lambda: (rank, world_size)))
        return build()


def make_sampler(kind: str, length: int, **options):
    dataset = list(range(length))
    if kind == 'default':
        return DefaultSampler(dataset, seed=SEED, **options)
    return RepeatAugSampler(dataset, seed=SEED, **options)


def batch_samplers(kind, length, world_size, batch_size, **options):
    samplers = []
    for rank in range(world_size):
        def build():
            sampler = make_sampler(kind, length, **options)
            sampler.set_epoch(EPOCH)
            return ResumableBatchSampler(sampler, batch_size)
        samplers.append(on_rank(rank, world_size, build))
    return samplers


def reference_order(kind: str, length: int, shuffle: bool = True) -> list:
    """The epoch's global order written out: randperm(seed + epoch), each
    index 3 times in place for repeated augmentation."""
    generator = torch.Generator()
    generator.manual_seed(SEED + EPOCH)
    order = torch.randperm(length, generator=generator) if shuffle \
        else torch.arange(length)
    if kind == 'repeat_aug':
        order = order.repeat_interleave(3)
    return order.tolist()


def train(samplers, start=0, length=None, iterations=None) -> list:
    """(position, index, seed) of every entry a pass trains, in the
    order of the iterations and then the ranks; the position follows from
    the rank dealing: entry ``start + (k * b + i) * W + r``."""
    world_size = len(samplers)
    passes = []
    for sampler in samplers:
        sampler.start_epoch(EPOCH, RUN_SEED, start, length)
        count = sampler.pass_batches()
        assert count == math.ceil(sampler.pass_size() / sampler.batch_size)
        batches = list(sampler)
        assert len(batches) == count
        passes.append(batches)
    assert len({len(batches) for batches in passes}) == 1  # DDP needs it
    entries = []
    for k in range(len(passes[0]) if iterations is None else iterations):
        for rank, batches in enumerate(passes):
            for i, index in enumerate(batches[k]):
                size = samplers[rank].batch_size
                position = start + (k * size + i) * world_size + rank
                entries.append((position, int(index), index.seed))
    return sorted(entries)


@pytest.mark.parametrize('kind', ['default', 'repeat_aug'])
@pytest.mark.parametrize('shuffle', [True, False])
@pytest.mark.parametrize('world_size', [1, 2, 3, 5])
def test_epoch_order_is_what_the_sampler_deals(kind, shuffle, world_size):
    length = 300 if kind == 'repeat_aug' else 23
    for rank in range(world_size):
        sampler = on_rank(rank, world_size,
                          lambda: make_sampler(kind, length, shuffle=shuffle))
        sampler.set_epoch(EPOCH)
        order = epoch_order(sampler)
        assert order.indices == reference_order(kind, length, shuffle)
        count = math.ceil(order.length / world_size)
        assert list(sampler) == [
            order.indices[p % len(order.indices)]
            for p in range(rank, count * world_size, world_size)
        ]
    if kind == 'repeat_aug':  # 300 images: 256 entries, less the remainder
        assert order.length == 256 // world_size * world_size


# (processes, batch) of the interrupted run -> of the resumed one
CHANGES = [((2, 4), (1, 4)), ((1, 4), (2, 4)), ((2, 4), (3, 4)),
           ((2, 4), (2, 3)), ((3, 2), (2, 5)), ((4, 3), (3, 2))]


@pytest.mark.parametrize('kind,length', [('default', 22), ('default', 31),
                                         ('repeat_aug', 22),
                                         ('repeat_aug', 300)])
@pytest.mark.parametrize('before,after', CHANGES)
def test_epoch_goes_on_at_its_first_untrained_entry(kind, length, before,
                                                    after):
    first = batch_samplers(kind, length, *before)
    uninterrupted = train(first)
    epoch_length = first[0].epoch_length()
    entries_per_iteration = before[0] * before[1]
    order = reference_order(kind, length)
    for done in range(1, first[0].pass_batches()):
        trained = train(first, iterations=done)
        start = done * entries_per_iteration
        assert [p for p, _, _ in trained] == list(range(start))
        rest = train(batch_samplers(kind, length, *after), start,
                     epoch_length)
        positions = [p for p, _, _ in trained + rest]
        padding = len(positions) - epoch_length
        # every entry once, in the global order, fewer than W' again
        assert positions == list(range(epoch_length + padding))
        assert 0 <= padding < after[0]
        assert [index for _, index, _ in trained + rest] == [
            order[p % len(order)] for p in positions]
        # each with the augmentation seed of the uninterrupted epoch
        epoch_seed = derive_seed(RUN_SEED, SAMPLE_SEEDS, EPOCH)
        assert [seed for _, _, seed in trained + rest] == [
            epoch_seed + p for p in positions]
        assert trained + rest[:len(uninterrupted) - start] == \
            uninterrupted[:len(trained) + len(rest)]
        if kind == 'default':
            assert Counter(index for _, index, _ in trained +
                           rest) == Counter(range(length)) + Counter(
                               order[:padding])


@pytest.mark.parametrize('kind', ['default', 'repeat_aug'])
def test_same_processes_and_batch_leave_out_the_trained_batches(kind):
    samplers = batch_samplers(kind, 22, 2, 4)
    whole = []
    for sampler in samplers:
        sampler.start_epoch(EPOCH, RUN_SEED)
        whole.append(list(sampler))
    for sampler, batches in zip(samplers, whole):
        sampler.start_epoch(EPOCH, RUN_SEED, start=8,
                            length=sampler.epoch_length())
        assert sampler.pass_batches() == 2
        resumed = list(sampler)
        assert resumed == batches[1:]
        assert [[i.seed for i in b] for b in resumed] == \
            [[i.seed for i in b] for b in batches[1:]]
        # the next pass is a whole epoch again
        assert list(sampler) == batches


class OwnOrder(Sampler):
    """A sampler that deals every index to every rank: its global order is
    not known to mmdeit."""

    def __init__(self, length):
        self.length = length

    def __iter__(self):
        return iter(range(self.length))

    def __len__(self):
        return self.length


def test_sampler_without_epoch_order():
    sampler = on_rank(1, 2, lambda: ResumableBatchSampler(OwnOrder(6), 2))
    assert epoch_order(sampler.sampler) is None
    assert sampler.epoch_length() == 12
    # a whole number of rounds: the sampler's own indices, less the first 2
    sampler.start_epoch(0, RUN_SEED, start=4)
    batches = list(sampler)
    assert [[int(i) for i in b] for b in batches] == [[2, 3], [4, 5]]
    # rank 1's entries are 1, 3, 5...
    epoch_seed = derive_seed(RUN_SEED, SAMPLE_SEEDS, 0)
    assert [i.seed for b in batches for i in b] == [
        epoch_seed + p for p in (5, 7, 9, 11)]
    with pytest.raises(ValueError, match='OwnOrder does not tell its epoch '
                       'order: the epoch cannot go on at entry 5 of 12'):
        sampler.start_epoch(0, RUN_SEED, start=5)
    sampler.start_epoch(0, RUN_SEED, start=12, length=12)
    assert sampler.pass_batches() == 0 and list(sampler) == []


def test_drop_last_pass():
    sampler = on_rank(0, 3, lambda: ResumableBatchSampler(
        make_sampler('default', 22), 4, drop_last=True))
    sampler.start_epoch(0, None, start=8, length=22)
    assert sampler.pass_size() == 5  # ceil(14 / 3)
    assert sampler.pass_batches() == 1
    assert [len(b) for b in sampler] == [4]
