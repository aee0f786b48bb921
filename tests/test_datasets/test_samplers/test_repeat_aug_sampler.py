from collections import Counter

import pytest
from timm.data.distributed_sampler import RepeatAugSampler as TimmSampler
from torch.utils.data import DataLoader

from mmdeit.datasets.samplers import RepeatAugSampler
from mmdeit.datasets.samplers import repeat_aug
from mmdeit.registry import DATA_SAMPLERS


class Sized:

    def __init__(self, length):
        self.length = length

    def __len__(self):
        return self.length


def sampler_on_rank(monkeypatch, dataset, rank, world_size, **kwargs):
    monkeypatch.setattr(repeat_aug, 'get_dist_info',
                        lambda: (rank, world_size))
    return RepeatAugSampler(dataset, **kwargs)


@pytest.mark.parametrize('length,world_size,epoch', [
    (1000, 1, 0),
    (1000, 4, 3),
    (1283, 8, 1),  # 3 * 1283 is not a multiple of 8: padded
    (5000, 3, 7),
    (300, 2, 0),
    (100, 3, 2),  # shorter than 256
])
@pytest.mark.parametrize('shuffle', [True, False])
def test_indices_per_rank_match_timm(monkeypatch, length, world_size, epoch,
                                     shuffle):
    dataset = Sized(length)
    for rank in range(world_size):
        ours = sampler_on_rank(monkeypatch, dataset, rank, world_size,
                               shuffle=shuffle, seed=0)
        ref = TimmSampler(dataset, num_replicas=world_size, rank=rank,
                          shuffle=shuffle, num_repeats=3, selected_round=256)
        ours.set_epoch(epoch)
        ref.set_epoch(epoch)
        assert list(ours) == list(ref)
        assert len(ours) == len(ref) == len(list(ours))


def test_copies_go_to_different_ranks(monkeypatch):
    """With 3 ranks and 3 repeats, every rank sees each selected image once,
    and all ranks see the same images."""
    dataset = Sized(768)
    per_rank = [list(sampler_on_rank(monkeypatch, dataset, r, 3, seed=5))
                for r in range(3)]
    assert [len(indices) for indices in per_rank] == [256] * 3
    assert per_rank[0] == per_rank[1] == per_rank[2]
    assert len(set(per_rank[0])) == 256


def test_epoch_length_imagenet(monkeypatch):
    # 1281167 // 256 * 256 / 8 = 160128 per rank, not 3x that
    sampler = sampler_on_rank(monkeypatch, Sized(1281167), 0, 8)
    assert len(sampler) == 160128


def test_seed_and_epoch_set_the_order():
    dataset = Sized(600)
    sampler = RepeatAugSampler(dataset, seed=0)
    first = list(sampler)
    assert first == list(sampler)  # same epoch, same order
    sampler.set_epoch(1)
    second = list(sampler)
    assert second != first
    assert second == list(RepeatAugSampler(dataset, seed=1))  # seed + epoch
    # one rank: 512 samples, each index at most 3 times, in runs of 3
    assert len(first) == 512
    assert max(Counter(first).values()) == 3
    assert first[0] == first[1] == first[2]


def test_built_from_a_config_and_used_by_a_dataloader():
    dataset = list(range(300))
    sampler = DATA_SAMPLERS.build(dict(type='RepeatAugSampler'),
                                  default_args=dict(dataset=dataset, seed=3))
    batches = list(DataLoader(dataset, batch_size=64, sampler=sampler))
    assert sum(len(b) for b in batches) == 256
    assert isinstance(RepeatAugSampler(dataset).seed, int)  # seed drawn


def test_rejects_bad_repeats():
    with pytest.raises(ValueError, match='num_repeats'):
        RepeatAugSampler(Sized(10), num_repeats=0)
