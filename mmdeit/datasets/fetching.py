"""How a dataset hands out a sample: with its own seeds, and with an
unreadable image replaced by another sample in training.

:class:`ResumableBatchSampler` gives every index of an epoch a seed derived
from the run's seed, the rank, the epoch and the index's position in the
epoch (:class:`SeededIndex`). The dataset seeds Python's ``random``, numpy
and torch with it before the pipeline runs, so a sample's augmentation is
the same whichever process loads it, however many workers there are and
whether the epoch was started afresh or resumed in its middle.
"""
import contextlib
import logging
from typing import List, Tuple

from mmengine.logging import print_log
from mmengine.structures import BaseDataElement
from torch.utils.data import get_worker_info

from mmdeit.utils.seeding import preserved_random_state, seed_all


class UnreadableImageError(OSError):
    """An image file that cannot be used: missing, unreadable, empty or not
    decodable. The message starts with the path; ``path`` holds it."""

    def __init__(self, message: str, path: str = None):
        super().__init__(message)
        self.path = path


class SeededIndex(int):
    """A dataset index carrying the seed of its sample's random draws."""

    seed: int

    def __new__(cls, index: int, seed: int):
        obj = super().__new__(cls, index)
        obj.seed = seed
        return obj

    def __reduce__(self):  # sent to the loader workers by pickle
        return SeededIndex, (int(self), self.seed)

    def __repr__(self) -> str:
        return f'SeededIndex({int(self)}, seed={self.seed})'


class SampleFetchMixin:
    """``__getitem__`` for an mmengine ``BaseDataset``.

    - A :class:`SeededIndex` seeds ``random``, numpy and torch (CPU) for the
      sample; in the main process (no loader workers) the previous random
      states are restored afterwards.
    - In training (``test_mode=False``), an image the pipeline cannot read
      (:class:`UnreadableImageError`) is logged with its path and the reason,
      and another sample drawn at random takes its place (up to
      ``max_refetch`` times, as mmengine does for a pipeline that returns
      None). The returned sample's ``data_samples`` then lists the files it
      replaced in its metainfo ``unreadable_images`` ("path: reason"
      strings), which is how :class:`mmdeit.engine.hooks.BadImageHook`
      counts them across all loader workers.
    - In testing, the error propagates: evaluation never skips an image.
    """

    def __getitem__(self, idx: int) -> dict:
        if not self._fully_initialized:
            self.full_init()
        seed = getattr(idx, 'seed', None)
        if seed is None:
            return self._fetch(int(idx))
        # a loader worker's generators serve its samples only; the main
        # process gets its own states back
        in_main = get_worker_info() is None
        with preserved_random_state() if in_main else contextlib.nullcontext():
            seed_all(seed)
            return self._fetch(int(idx))

    def _fetch(self, idx: int) -> dict:
        if self.test_mode:
            data = self.prepare_data(idx)
            if data is None:
                raise RuntimeError(
                    f'the test pipeline returned None for sample {idx} '
                    f'({self.get_data_info(idx).get("img_path")})')
            return data
        unreadable: List[str] = []
        for _ in range(self.max_refetch + 1):
            try:
                data = self.prepare_data(idx)
            except UnreadableImageError as error:
                unreadable.append(str(error))
                print_log(f'unreadable image, replaced by another sample: '
                          f'{error}', logger='current',
                          level=logging.WARNING)
                data = None
            if data is not None:
                _note_unreadable(data, unreadable)
                return data
            idx = self._rand_another()
        raise RuntimeError(
            f'{type(self).__name__}: no usable sample in '
            f'{self.max_refetch + 1} tries; {len(unreadable)} of them were '
            f'unreadable images, e.g. {unreadable[:3]}')


def _note_unreadable(data: dict, unreadable: List[str]) -> None:
    sample = data.get('data_samples') if isinstance(data, dict) else None
    if unreadable and isinstance(sample, BaseDataElement):
        sample.set_metainfo(dict(unreadable_images=tuple(unreadable)))


def unreadable_images_of(data_batch) -> Tuple[str, ...]:
    """The "path: reason" of every image replaced in a collated batch."""
    samples = data_batch.get('data_samples') \
        if isinstance(data_batch, dict) else None
    found: Tuple[str, ...] = ()
    for sample in samples or ():
        if isinstance(sample, BaseDataElement):
            found += tuple(sample.metainfo.get('unreadable_images', ()))
    return found
