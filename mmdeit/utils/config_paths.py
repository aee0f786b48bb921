"""A consumer's key found in the config, for errors that name it by its
full path (``model.backbone.drop_path_rate``), and top-level keys that
nothing reads.

:func:`named_config_errors` wraps a run of a config (tools/train.py,
tools/test.py, :func:`mmdeit.apis.get_model`): a
:class:`~mmdeit.utils.config_errors.ConfigValueError` raised with an
argument's name, mmengine's unknown-type ``KeyError`` and Python's
"unexpected keyword argument" come out as a ``ConfigValueError`` at the
key's path, with the closest names where a name is wrong. A top-level key
close to one the runner reads (``optim_wraper``) gets a
:class:`ConfigKeyWarning` (:func:`warn_unknown_top_level_keys`).
"""
import contextlib
import difflib
import inspect
import re
import warnings
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

from .config_errors import ConfigValueError, did_you_mean, is_number
from .registry_hints import registered_type, unknown_type_error

Path = Tuple[Any, ...]


class ConfigKeyWarning(UserWarning):
    """A config key that nothing reads, close to one that is read."""


def _walk(node: Any, path: Path = ()) -> Iterator[Tuple[Path, Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, path + (key, ))
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            yield from _walk(value, path + (index, ))


def _type_name(value: Any) -> Optional[str]:
    if isinstance(value, str):
        return value.rsplit('.', 1)[-1]
    return getattr(value, '__name__', None)


def _same(a: Any, b: Any) -> bool:
    try:
        if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
            return len(a) == len(b) and all(map(_same, a, b))
        return type(a) is type(b) and bool(a == b) or (
            is_number(a) and is_number(b) and a == b)
    except Exception:  # values that do not compare
        return False


def _text(path: Path) -> str:
    return '.'.join(str(part) for part in path)


# The keys the runner reads, ranked first when a value appears twice (a
# pipeline both in ``train_pipeline`` and in the loader that uses it).
RUNNER_KEYS = (
    'model', 'work_dir', 'train_dataloader', 'val_dataloader',
    'test_dataloader', 'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr',
    'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator',
    'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from',
    'resume', 'launcher', 'env_cfg', 'log_processor', 'log_level',
    'visualizer', 'default_scope', 'randomness', 'experiment_name', 'cfg',
    'runner_type')


def locate(cfg: dict, key: str, value: Any = None,
           owner: Optional[str] = None) -> str:
    """The path in ``cfg`` of the value a consumer calls ``key`` (a name
    or a dotted path below the consumer); ``owner`` is the consumer's type,
    ``value`` the value it was given. Preferred, in order: a path below a
    dict whose ``type`` is ``owner`` (where the config states the value, or
    would), one holding ``value``, one under a key the runner reads. Without
    any match, ``key`` as it is."""
    parts = tuple(int(p) if p.isdigit() else p for p in key.split('.'))
    nodes = list(_walk(cfg))
    candidates = []
    for path, node in nodes:
        if path[-len(parts):] == parts:
            candidates.append((path, node))
    owners = [path for path, node in nodes if isinstance(node, dict)
              and owner is not None and _type_name(node.get('type')) == owner]
    for path in owners:
        candidates.append((path + parts, _MISSING))

    def rank(candidate):
        path, node = candidate
        owned = any(path[:len(prefix)] == prefix
                    and len(path) == len(prefix) + len(parts)
                    for prefix in owners)
        return (not owned, not _same(node, value),
                not (path and path[0] in RUNNER_KEYS), node is _MISSING,
                len(path))

    if not candidates:
        return key
    return _text(min(candidates, key=rank)[0])


_MISSING = object()


def _locate_type(cfg: dict, name: str) -> Optional[str]:
    """The path of the type ``name``: a ``type`` key holding it, else any
    key (``runner_type``, ``optim_wrapper.constructor``); None if the
    config does not hold it."""
    found = [path for path, node in _walk(cfg)
             if path and isinstance(node, str) and node == name]
    if not found:
        return None
    return _text(min(found, key=lambda path: (
        path[-1] != 'type', path[0] not in RUNNER_KEYS, len(path))))


# Errors of mmengine and Python that a config value causes, read back into
# a key, a value and what is allowed.

_UNEXPECTED = re.compile(r"(?P<owner>\w+)\.__init__\(\) got an unexpected "
                         r"keyword argument '(?P<key>\w+)'")


def _parameters(owner: str) -> List[str]:
    """The arguments of the registered type ``owner``."""
    cls = registered_type(owner)
    if cls is None:
        return []
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return []
    return [name for name, param in signature.parameters.items()
            if param.kind in (param.POSITIONAL_OR_KEYWORD,
                              param.KEYWORD_ONLY)]


def explain(error: BaseException, cfg: dict) -> Optional[ConfigValueError]:
    """``error`` as a :class:`ConfigValueError` at its key in ``cfg``, or
    None for an error no config value explains."""
    if isinstance(error, ConfigValueError) and error.located:
        return error
    unknown = unknown_type_error(error)
    if unknown is not None:
        where = _locate_type(cfg, unknown.value)
        return unknown.at(where) if where else unknown
    if isinstance(error, ConfigValueError):
        return error.at(locate(cfg, error.key, error.value, error.owner))
    if isinstance(error, TypeError):
        match = _UNEXPECTED.search(str(error))
        if match is None:
            return None
        owner, key = match['owner'], match['key']
        where = locate(cfg, key, owner=owner)
        return ConfigValueError(
            where, _value_at(cfg, where), f'{owner} takes no argument '
            f'{key!r}' + did_you_mean(key, _parameters(owner)), owner)
    return None


def _value_at(cfg: dict, path: str) -> Any:
    node = cfg
    for part in path.split('.'):
        try:
            node = node[int(part) if part.isdigit() else part]
        except (KeyError, IndexError, TypeError, ValueError):
            return None
    return node


@contextlib.contextmanager
def named_config_errors(cfg: dict) -> Iterator[None]:
    """Re-raise an error caused by a value of ``cfg`` (a
    :class:`ConfigValueError`, an unknown registered type, an argument its
    type does not take) as a :class:`ConfigValueError` whose message names
    the key's full path in ``cfg``, the value and what is allowed. Other
    errors pass unchanged."""
    try:
        yield
    except Exception as error:
        plain = cfg.to_dict() if hasattr(cfg, 'to_dict') else cfg
        named = explain(error, plain)
        if named is None or named is error:
            raise
        raise named from error


# Top-level keys


def unknown_top_level_keys(cfg: dict, known: Iterable[str] = RUNNER_KEYS,
                           cutoff: float = 0.85) -> Dict[str, str]:
    """The top-level keys of ``cfg`` that are not ``known`` but close to
    a known key (a misspelling), with that key. Keys far from all (a
    config's own variables, ``base_lr``, ``train_pipeline``) are left
    alone."""
    known = list(known)
    found = {}
    for key in cfg:
        if key in known or key.startswith('_'):
            continue
        match = difflib.get_close_matches(key, known, n=1, cutoff=cutoff)
        if match:
            found[key] = match[0]
    return found


def warn_unknown_top_level_keys(cfg: dict,
                                known: Iterable[str] = RUNNER_KEYS) -> None:
    """A :class:`ConfigKeyWarning` for each key of
    :func:`unknown_top_level_keys`."""
    for key, match in unknown_top_level_keys(cfg, known).items():
        warnings.warn(
            f'config key {key!r} is read by nothing (did you mean '
            f'{match!r}?); it has no effect', ConfigKeyWarning, stacklevel=2)
