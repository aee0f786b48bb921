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
