"""Seeds derived from a run's seed and a position in it, so that the random
draws of any step can be replayed (a resumed run repeats them exactly)."""
import contextlib
import random
from typing import Iterator

import numpy as np
import torch


# Tags that keep the seeds of different uses apart (put after the run seed).
ITERATION_SEEDS = 1
SAMPLE_SEEDS = 2


def derive_seed(*keys: int) -> int:
    """A 64-bit seed from non-negative ints, e.g. ``(run seed,
    ITERATION_SEEDS, iteration)``.

    numpy's ``SeedSequence`` hashes the keys, so nearby keys (iteration 7 and
    8, rank 0 and 1) give unrelated streams. Key lists that differ only by
    trailing zeros hash alike, hence the tags: each use passes its own tag
    and a fixed number of keys.
    """
    low, high = np.random.SeedSequence([int(k) for k in keys]).generate_state(
        2, np.uint32)
    return int(low) | int(high) << 32


def seed_all(seed: int, accelerators: bool = False) -> None:
    """Seed Python's ``random``, numpy's global generator and torch's CPU
    generator (and, with ``accelerators``, those of every CUDA device) from
    one 64-bit seed."""
    random.seed(seed)
    # numpy's global generator takes 32 bits (an int is 10x faster to seed
    # with than an array): fold the two halves
    np.random.seed((seed ^ seed >> 32) & 0xFFFFFFFF)
    if accelerators:
        torch.manual_seed(seed)
    else:
        torch.default_generator.manual_seed(seed)


@contextlib.contextmanager
def preserved_random_state() -> Iterator[None]:
    """Restore the states of ``random``, numpy's global generator and torch's
    CPU generator on exit, whatever the block drew from them."""
    states = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    try:
        yield
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])
        torch.set_rng_state(states[2])
