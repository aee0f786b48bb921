"""Reading the annotation files of the transfer datasets as they are
distributed, with errors that name the file (and the key) at fault."""
import json
import os
import pickle
from typing import Iterable, Sequence

# What a CIFAR pickle may hold besides dicts, lists, str and numbers: numpy
# arrays (as numpy 1 and numpy 2 pickle them) and, in files written by
# Python 3 with protocol 2, bytes. Anything else is refused rather than
# executed.
_CIFAR_PICKLE_GLOBALS = {
    ('numpy.core.multiarray', '_reconstruct'),
    ('numpy._core.multiarray', '_reconstruct'),
    ('numpy.core.numeric', '_frombuffer'),
    ('numpy._core.numeric', '_frombuffer'),
    ('numpy', 'ndarray'),
    ('numpy', 'dtype'),
    ('_codecs', 'encode'),
}


def find_file(name: str, folders: Sequence[str]) -> str:
    """The first ``folder/name`` that exists; FileNotFoundError listing
    every place looked in otherwise."""
    for folder in folders:
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    places = ', '.join(repr(os.path.join(folder, name)) for folder in folders)
    raise FileNotFoundError(f'{name} not found (looked for {places})')


def require_folder(path: str, what: str) -> str:
    if not os.path.isdir(path):
        raise FileNotFoundError(f'{what} {path!r} is not a folder')
    return path


class _ArraysOnly(pickle.Unpickler):

    def find_class(self, module: str, name: str):
        if (module, name) not in _CIFAR_PICKLE_GLOBALS:
            raise pickle.UnpicklingError(
                f'holds a {module}.{name}, which CIFAR files do not')
        return super().find_class(module, name)


def load_cifar_pickle(path: str) -> dict:
    """A CIFAR batch or meta file -> dict with str keys.

    The files were written by Python 2 (``encoding='latin1'`` reads their
    numpy arrays); only numpy arrays and plain values are unpickled.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f'CIFAR file {path!r} does not exist')
    try:
        with open(path, 'rb') as f:
            content = _ArraysOnly(f, encoding='latin1').load()
    except Exception as error:
        raise ValueError(f'{path}: not a CIFAR python pickle ({error})') \
            from error
    if not isinstance(content, dict):
        raise ValueError(f'{path}: holds a {type(content).__name__}, a CIFAR '
                         'file holds a dict')
    return {(key.decode('latin1') if isinstance(key, bytes) else key): value
            for key, value in content.items()}


def load_mat(path: str, keys: Iterable[str]) -> dict:
    """The variables ``keys`` of a MATLAB ``.mat`` file (scipy.io.loadmat,
    arrays squeezed); ValueError naming the file and the missing key."""
    try:
        from scipy.io import loadmat
    except ImportError as error:
        raise ImportError(
            f'reading {path} needs scipy (pip install scipy, or pip install '
            '"mmdeit[datasets]")') from error
    if not os.path.isfile(path):
        raise FileNotFoundError(f'annotation file {path!r} does not exist')
    try:
        content = loadmat(path, squeeze_me=True)
    except Exception as error:
        raise ValueError(f'{path}: not a readable .mat file ({error})') \
            from error
    missing = [key for key in keys if key not in content]
    if missing:
        found = sorted(key for key in content if not key.startswith('__'))
        raise ValueError(f'{path}: no variable {missing[0]!r} (it holds '
                         f'{found})')
    return {key: content[key] for key in keys}


def load_json(path: str, keys: Iterable[str]) -> dict:
    """A JSON object file holding ``keys``; errors name the file and key."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f'annotation file {path!r} does not exist')
    try:
        with open(path) as f:
            content = json.load(f)
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f'{path}: not valid JSON ({error})') from error
    if not isinstance(content, dict):
        raise ValueError(f'{path}: holds a JSON {type(content).__name__}, '
                         'expected an object')
    missing = [key for key in keys if key not in content]
    if missing:
        raise ValueError(f'{path}: no key {missing[0]!r} (it has '
                         f'{sorted(content)})')
    return content


def resolve_classes(given, names: Sequence[str], source: str) -> tuple:
    """The class names: ``given`` (from the config) if any, which must be
    as many as the ``names`` read from ``source``; else ``names``."""
    if given is None:
        return tuple(names)
    if len(given) != len(names):
        raise ValueError(f'{len(given)} class names given, but {source} '
                         f'has {len(names)} classes')
    return tuple(given)
