"""Fashion-MNIST-shaped IDX files, written by the tests of the demos."""
import gzip
import struct
from pathlib import Path

import numpy as np

# split -> (images file, labels file), the official names without '.gz'
IDX_FILES = {'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
             'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')}


def write_idx(path: Path, array: np.ndarray) -> None:
    """uint8 ``array`` as a gzipped IDX file."""
    header = struct.pack('>BBBB', 0, 0, 0x08, array.ndim)
    header += struct.pack(f'>{array.ndim}I', *array.shape)
    path.write_bytes(gzip.compress(header + array.tobytes()))


def write_bar_dataset(folder: Path, counts=(('train', 60), ('test', 40))
                      ) -> Path:
    """Fashion-MNIST-shaped IDX files in ``folder`` that a model can learn:
    for each ``(split, count)``, ``count`` 28x28 images of noise with a
    bright bar whose row is the class (labels 0-9 in turn). Returns
    ``folder``."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for split, count in counts:
        labels = (np.arange(count) % 10).astype(np.uint8)
        images = rng.integers(0, 60, (count, 28, 28), dtype=np.uint8)
        for image, label in zip(images, labels):
            image[2 + 2 * label:4 + 2 * label] = 255
        write_idx(folder / f'{IDX_FILES[split][0]}.gz', images)
        write_idx(folder / f'{IDX_FILES[split][1]}.gz', labels)
    return folder
