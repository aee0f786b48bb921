"""Checkpoint files: downloading (checked against the hash in the name),
reading safely (safetensors, or ``torch.load`` with ``weights_only=True`` and
an allow-list; never a silent unsafe unpickle) and writing durably (all of
the new file or none of it)."""
import argparse
import contextlib
import hashlib
import json
import os
import os.path as osp
import pickle
import re
import tempfile
from typing import Any, Callable, Dict, Iterator, List, Optional
from urllib.error import HTTPError, URLError
from urllib.parse import urlparse

import torch

from .errors import CheckpointError, DownloadError


def is_url(source: str) -> bool:
    return urlparse(str(source)).scheme in ('http', 'https')


def cache_dir() -> str:
    """Where downloaded weights are kept (torch hub's ``checkpoints``)."""
    return osp.join(torch.hub.get_dir(), 'checkpoints')


# The sha256 prefix official and OpenMMLab file names end with
# (``deit_tiny_patch16_224-a1311bcf.pth``), as torch hub reads it.
_HASH_IN_NAME = re.compile(r'-([0-9a-f]{8,64})\.[^.]+$')


def cached_path(url: str) -> str:
    """The cache entry of ``url``: a folder per URL (the first 16 hex digits
    of the URL's sha256), so that two URLs ending in the same file name
    (``.../model.safetensors``) never share an entry; the file keeps its
    name."""
    folder = hashlib.sha256(url.encode()).hexdigest()[:16]
    name = osp.basename(urlparse(url).path) or 'download'
    return osp.join(cache_dir(), folder, name)


def expected_hash(url: str) -> Optional[str]:
    """The sha256 prefix the file name of ``url`` carries, or None."""
    match = _HASH_IN_NAME.search(osp.basename(urlparse(url).path))
    return match.group(1) if match else None


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def temporary_file(path: str) -> Iterator[str]:
    """A temporary file beside ``path`` (same folder, so renaming it onto
    ``path`` is atomic), removed on exit unless renamed away."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, tmp = tempfile.mkstemp(
        dir=folder, prefix=f'.{osp.basename(path)}.', suffix='.tmp')
    os.close(handle)
    try:
        yield tmp
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def failure_reason(error: Exception) -> str:
    """A network error in words: ``HTTP 404 Not Found``, ``Name or service
    not known``..."""
    if isinstance(error, HTTPError):
        return f'HTTP {error.code} {error.reason}'
    if isinstance(error, URLError):
        return str(error.reason)
    return str(error) or type(error).__name__


def fetch(url: str, path: str, progress: bool = True) -> str:
    """Download ``url`` to ``path``, checked against the hash prefix of its
    name; ``path`` appears only once the file is complete and checked (a
    failed or mismatching download leaves nothing behind).

    Raises:
        DownloadError: the URL could not be fetched (offline, refused, not
            found); the message says where a file fetched by hand goes.
        CheckpointError: the file does not match the hash in its name.
    """
    with temporary_file(path) as tmp:
        try:
            torch.hub.download_url_to_file(url, tmp, progress=progress)
        except (URLError, OSError, ValueError) as error:
            raise DownloadError(url, failure_reason(error), path) from None
        expected = expected_hash(url)
        if expected is not None:
            actual = sha256_of(tmp)
            if not actual.startswith(expected):
                raise CheckpointError(
                    f'{url}: the downloaded file\'s sha256 is {actual}, but '
                    f'its name {osp.basename(urlparse(url).path)} says it '
                    f'starts with {expected}; the download was deleted (a '
                    'corrupted transfer, or the file changed on the server)')
        os.replace(tmp, path)
    return path


def download(url: str, progress: bool = True) -> str:
    """Download ``url`` into the cache once and return the local path.

    In a distributed run rank 0 downloads while the other ranks wait for it
    (they then read the same cache entry; one on another machine, which does
    not see rank 0's file, downloads for itself). A failure on rank 0 is
    raised on every rank.
    """
    from mmengine.dist import broadcast_object_list, get_dist_info
    path = cached_path(url)
    rank, world_size = get_dist_info()
    failure: Optional[Exception] = None
    if rank == 0 and not osp.exists(path):
        try:
            fetch(url, path, progress)
        except Exception as error:  # told to the other ranks, then raised
            failure = error
    if world_size > 1:
        # (whether the network failed, rank 0's reason), or None
        outcome = [None if failure is None else
                   (isinstance(failure, DownloadError),
                    getattr(failure, 'reason', str(failure)))]
        broadcast_object_list(outcome, src=0)
        if outcome[0] is not None and failure is None:
            network, reason = outcome[0]
            if network:
                raise DownloadError(url, f'rank 0 failed: {reason}', path)
            raise CheckpointError(
                f'rank 0 could not download {url}: {reason}')
    if failure is not None:
        raise failure
    if not osp.exists(path):
        fetch(url, path, progress=False)
    return path


def resolve(source: str) -> str:
    """A local path for ``source`` (a path or a URL, downloaded once)."""
    source = str(source)
    if is_url(source):
        return download(source)
    path = osp.expanduser(source)
    if not osp.exists(path):
        raise FileNotFoundError(f'checkpoint not found: {source}')
    return path


def _history_buffer_method(owner: Any, name: str) -> Any:
    """Stand-in for ``getattr`` while unpickling a runner checkpoint.

    mmengine pickles the statistics methods of a ``HistoryBuffer`` (min, max,
    current, mean) as ``getattr(HistoryBuffer, name)``. Allowing the real
    ``getattr`` would let a file reach any attribute of anything it can
    name, so only these methods are resolved.
    """
    from mmengine.logging import HistoryBuffer
    methods = {'min', 'max', 'current', 'mean',
               *HistoryBuffer._statistics_methods}
    if owner is HistoryBuffer and name in methods:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'refusing getattr({owner!r}, {name!r}) in a checkpoint')


def runner_checkpoint_globals() -> List[Any]:
    """The non-tensor globals of an mmengine runner checkpoint, for
    ``weights_only`` loading: the message hub's ``HistoryBuffer`` (with its
    statistics methods), the numpy arrays, dtypes and scalars it holds; and
    ``argparse.Namespace``, the command line that the official DeiT code
    saves as ``args`` in its training checkpoints (a plain attribute bag:
    unpickling it sets attributes and calls nothing).

    Numpy 1 and 2 name their pickling helpers ``numpy.core.multiarray.*``
    and ``numpy._core.multiarray.*``; both names are allowed.
    """
    import numpy as np
    from mmengine.logging import HistoryBuffer
    multiarray = np._core.multiarray if hasattr(np, '_core') \
        else np.core.multiarray
    allowed: List[Any] = [HistoryBuffer, (_history_buffer_method,
                                          'builtins.getattr'),
                          np.ndarray, np.dtype, argparse.Namespace]
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        allowed += [(multiarray._reconstruct, f'{module}._reconstruct'),
                    (multiarray.scalar, f'{module}.scalar')]
    # a dtype is rebuilt as an instance of its own class (Float64DType...)
    allowed += sorted({type(np.dtype(code)) for code in '?bBhHiIlLqQefdgFDG'},
                      key=str)
    return allowed


def allow_runner_checkpoints() -> contextlib.AbstractContextManager:
    """Context in which ``torch.load(weights_only=True)`` reads mmengine
    runner checkpoints (resume, ``load_from``), see
    :func:`runner_checkpoint_globals`."""
    safe_globals = getattr(torch.serialization, 'safe_globals', None)
    if safe_globals is None:  # torch < 2.5 loads them unrestricted
        return contextlib.nullcontext()
    return safe_globals(runner_checkpoint_globals())


@contextlib.contextmanager
def forced_weights_only() -> Iterator[None]:
    """Context in which every ``torch.load`` reads with ``weights_only``,
    even one that asks for ``weights_only=False``: for code that is not
    mmdeit's and loads that way (mmengine reads its ``open-mmlab://`` and
    ``torchvision://`` checkpoints through
    ``torch.hub.load_state_dict_from_url``, whose default is False). torch
    reads the ``TORCH_FORCE_WEIGHTS_ONLY_LOAD`` variable at each load."""
    saved = {name: os.environ.pop(name, None)
             for name in ('TORCH_FORCE_WEIGHTS_ONLY_LOAD',
                          'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD')}
    os.environ['TORCH_FORCE_WEIGHTS_ONLY_LOAD'] = '1'
    try:
        yield
    finally:
        os.environ.pop('TORCH_FORCE_WEIGHTS_ONLY_LOAD', None)
        os.environ.update({name: value for name, value in saved.items()
                           if value is not None})


def read_file(path: str, map_location: str = 'cpu',
              trusted: bool = False) -> Dict[str, Any]:
    """Load one local checkpoint file into a dict.

    Args:
        path: a ``.safetensors`` file or a torch pickle (``.pth``/``.pt``/
            ``.bin``), read with ``weights_only=True`` and the globals of
            :func:`allow_runner_checkpoints`.
        map_location: device for the tensors.
        trusted: allow full unpickling (``weights_only=False``). Only for
            files whose origin you trust: a pickle can run arbitrary code.

    Raises:
        CheckpointError: the file is unreadable, truncated, or holds objects
            that safe loading does not allow (the message names the path).
    """
    if path.lower().endswith('.onnx'):
        raise CheckpointError(
            f'{path} is an ONNX file, not a PyTorch checkpoint: run it with '
            f'mmdeit.ImageClassificationInferencer({path!r}) (onnxruntime); '
            'PyTorch tools need the checkpoint it was exported from')
    if path.endswith('.safetensors'):
        # safetensors is optional: only .safetensors files need it.
        from safetensors.torch import load_file
        try:
            return load_file(path, device=str(map_location))
        except Exception as error:
            raise CheckpointError(
                f'cannot read safetensors file {path}: {error}') from error
    try:
        with allow_runner_checkpoints():
            return torch.load(path, map_location=map_location,
                              weights_only=not trusted)
    except Exception as error:
        raise CheckpointError(
            f'cannot read checkpoint {path}: {load_failure(error)}'
        ) from None


# Terminal colour codes, which torch puts in its weights_only message.
_COLOUR_CODES = re.compile(r'\x1b\[[0-9;]*m')
_REFUSED_GLOBAL = re.compile(r'GLOBAL ([\w.]+)')
TRUST_HINT = ('If you trust its origin, load it in full (which runs any code '
              'the file holds): --trust-checkpoint of tools/train.py and '
              'tools/test.py, trust_checkpoint = True in a config, '
              'trusted=True in Python')


def load_failure(error: Exception) -> str:
    """Why ``torch.load`` failed, in one line: the object a ``weights_only``
    load refused and how to trust the file, or the first line of torch's
    message (without its colour codes)."""
    message = _COLOUR_CODES.sub('', str(error)).strip()
    refused = _REFUSED_GLOBAL.search(message)
    if refused or 'weights_only' in message:
        what = f'an object of type {refused.group(1)}' if refused \
            else 'objects'
        return (f'it holds {what}, which safe loading (torch.load with '
                f'weights_only=True) does not allow. {TRUST_HINT}')
    return message.splitlines()[0] if message else type(error).__name__


# Writing, for files a crash must never leave half-written (training
# checkpoints and the pointer to the latest one).


def _fsync(path: str) -> None:
    """Flush ``path`` (a file, or on POSIX a folder: its entries) to disk."""
    flags = os.O_RDONLY
    if osp.isdir(path):
        flags |= getattr(os, 'O_DIRECTORY', 0)
    handle = os.open(path, flags)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def write_durably(path: str, write: Callable[[str], None]) -> str:
    """Write a file so that ``path`` holds either its old content or all of
    the new one, across a kill or a power cut.

    ``write(tmp)`` fills a temporary file in the same folder (see
    :func:`temporary_file`); it is flushed to disk
    (fsync), given the permissions a new file gets (umask), renamed onto
    ``path`` (``os.replace``, atomic on POSIX and Windows), and the folder is
    flushed so that the rename itself survives a power cut. A failure before
    the rename leaves ``path`` untouched and no temporary file. Returns
    ``path``.
    """
    with temporary_file(path) as tmp:
        write(tmp)
        _fsync(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    if os.name == 'posix':
        _fsync(osp.dirname(osp.abspath(path)))
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save_weights(obj: Any, path: str) -> str:
    """Save durably and atomically (:func:`write_durably`): a flat dict of
    tensors as safetensors when ``path`` ends with ``.safetensors``, anything
    else with ``torch.save``."""
    if path.endswith('.safetensors'):
        from safetensors.torch import save_file

        # safetensors refuses tensors that share memory (views of one qkv).
        tensors = {k: v.detach().cpu().contiguous().clone()
                   for k, v in obj.items()}
        # transformers reads only files whose metadata says 'pt'.
        return write_durably(path, lambda tmp: save_file(
            tensors, tmp, metadata=dict(format='pt')))
    return write_durably(path, lambda tmp: torch.save(obj, tmp))


def write_json(obj: Dict[str, Any], path: str) -> str:
    """Write ``obj`` as indented JSON with sorted keys, durably."""
    def write(tmp: str) -> None:
        with open(tmp, 'w') as f:
            json.dump(obj, f, indent=2, sort_keys=True)
            f.write('\n')
    return write_durably(path, write)
