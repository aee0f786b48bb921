"""Config mistakes named in one line: the key, the value, what is allowed.

Each value is checked where it is consumed (a backbone's ``__init__``, a
hook's, the registry that builds a type), which knows what is allowed but not
where the config put the value: it raises :class:`ConfigValueError` with the
argument's name (``patch_size``) and its own type (``VisionTransformer``).
:func:`named_config_errors` wraps a run of a config (tools/train.py,
tools/test.py) and finds the key in that config (``model.backbone.
patch_size``), so that the last line of the error reads::

    ConfigValueError: model.backbone.patch_size=0: must be a positive int

A top-level key that nothing reads but is close to one that is read (e.g.
``optim_wraper``) gets a :class:`ConfigKeyWarning`
(:func:`warn_unknown_top_level_keys`).
"""
import contextlib
import difflib
import inspect
import re
import warnings
from typing import (Any, Dict, Iterable, Iterator, List, Optional, Sequence,
                    Tuple)

import mmengine.registry as mmengine_registries
from mmengine.registry import DefaultScope, Registry

import mmdeit.registry as mmdeit_registries

Path = Tuple[Any, ...]


class _NotSet:
    """The value of a key the config does not give."""

    def __repr__(self) -> str:
        return '<not set>'


NOT_SET = _NotSet()


class ConfigValueError(ValueError):
    """A config value its consumer cannot use.

    Args:
        key: where the consumer got it: its argument's name, or a dotted
            path below the consumer (``head.in_channels``); once located,
            the key's full path in the config.
        value: the value given.
        allowed: what would do, e.g. 'must be in [0, 1)'.
        owner: the registered type that consumes it (``VisionTransformer``),
            which locates the key in the config.
    """

    def __init__(self, key: str, value: Any, allowed: str,
                 owner: Optional[str] = None):
        super().__init__(key, value, allowed, owner)
        self.key, self.value, self.allowed, self.owner = \
            key, value, allowed, owner

    def __str__(self) -> str:
        return f'{self.key}={self.value!r}: {self.allowed}'

    located = False

    def at(self, key: str) -> 'ConfigValueError':
        """The same error at ``key``, its path in the config."""
        error = type(self)(key, self.value, self.allowed, self.owner)
        error.located = True
        return error


class ConfigPathError(ConfigValueError, FileNotFoundError):
    """A config path that does not exist; still a ``FileNotFoundError``."""


class ConfigKeyWarning(UserWarning):
    """A config key that nothing reads, close to one that is read."""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_positive_int(key: str, value: Any, owner: Optional[str] = None,
                       minimum: int = 1) -> int:
    """``value`` if it is an int >= ``minimum`` (1: positive)."""
    if not _is_int(value) or value < minimum:
        allowed = 'must be a positive int' if minimum == 1 else \
            f'must be an int >= {minimum}'
        raise ConfigValueError(key, value, allowed, owner)
    return value


def check_number(key: str, value: Any, owner: Optional[str] = None,
                 low: Optional[float] = None, high: Optional[float] = None,
                 low_open: bool = False, high_open: bool = False) -> float:
    """``value`` if it is a number in the interval from ``low`` to ``high``
    (either None: unbounded; ``*_open``: the bound excluded)."""
    inside = _is_number(value) and (
        low is None or (value > low if low_open else value >= low)) and (
            high is None or (value < high if high_open else value <= high))
    if not inside:
        raise ConfigValueError(key, value, 'must be ' + describe_interval(
            low, high, low_open, high_open), owner)
    return value


def size_pair(key: str, value: Any, owner: Optional[str] = None
              ) -> Tuple[int, int]:
    """``value`` (an int or a pair) as a pair of positive ints (height,
    width)."""
    pair = tuple(value) if isinstance(value, (list, tuple)) \
        else (value, value)
    if len(pair) != 2 or not all(_is_int(side) and side > 0
                                 for side in pair):
        raise ConfigValueError(key, value, 'must be a positive int or a pair '
                               'of them (height, width)', owner)
    return pair


def describe_interval(low: Optional[float], high: Optional[float],
                      low_open: bool = False, high_open: bool = False) -> str:
    """'a number in [0, 1)', 'a number > 0', 'a number >= 0'..."""
    if low is not None and high is not None:
        return (f'in {"(" if low_open else "["}{low:g}, {high:g}'
                f'{")" if high_open else "]"}')
    if low is not None:
        return f'a number {">" if low_open else ">="} {low:g}'
    if high is not None:
        return f'a number {"<" if high_open else "<="} {high:g}'
    return 'a number'


def closest(name: Any, candidates: Iterable[str], limit: int = 3,
            cutoff: float = 0.6) -> List[str]:
    """The candidates nearest ``name`` (case aside), nearest first."""
    if not isinstance(name, str):
        return []
    by_lower = {candidate.lower(): candidate for candidate in candidates}
    matches = difflib.get_close_matches(name.lower(), list(by_lower),
                                        n=limit, cutoff=cutoff)
    return [by_lower[match] for match in matches]


def did_you_mean(name: Any, candidates: Iterable[str],
                 cutoff: float = 0.6) -> str:
    """' (did you mean 'x' or 'y'?)', or '' when nothing is close."""
    suggestions = closest(name, candidates, cutoff=cutoff)
    if not suggestions:
        return ''
    return ' (did you mean ' + ' or '.join(map(repr, suggestions)) + '?)'


def check_choice(key: str, value: Any, choices: Sequence[Any],
                 owner: Optional[str] = None) -> Any:
    """``value`` if it is one of ``choices``."""
    if value not in choices:
        names = [choice for choice in choices if isinstance(choice, str)]
        raise ConfigValueError(
            key, value, 'must be one of ' + ', '.join(map(repr, choices)) +
            did_you_mean(value, names), owner)
    return value


def check_keys(key: str, given: Iterable[str], known: Iterable[str],
               owner: Optional[str] = None, values: Optional[dict] = None
               ) -> None:
    """Refuse the first of ``given`` not in ``known``, naming the closest
    known key (``key`` is the dict they are in, e.g. 'teacher')."""
    known = list(known)
    for name in given:
        if name not in known:
            value = (values or {}).get(name)
            raise ConfigValueError(
                f'{key}.{name}' if key else name, value,
                f'not a setting of {owner or key}, which takes '
                f'{", ".join(known)}' + did_you_mean(name, known), owner)


# Locating a consumer's key in the config


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
            _is_number(a) and _is_number(b) and a == b)
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


# Unknown registered types


class UnknownTypeError(ConfigValueError, KeyError):
    """A config names a ``type`` that no registry holds; the message names
    the closest registered types. Still a ``KeyError``, as mmengine
    raises."""

    def __str__(self) -> str:
        return ConfigValueError.__str__(self)


def _descendants(registry: Registry) -> Iterator[Registry]:
    yield registry
    for child in registry.children.values():
        yield from _descendants(child)


def _roots() -> List[Registry]:
    """mmengine's root registries and mmdeit's own (batch augments)."""
    return [registry for module in (mmengine_registries, mmdeit_registries)
            for registry in vars(module).values()
            if isinstance(registry, Registry) and registry.parent is None]


def find_registry(name: str, scope: Optional[str] = None
                  ) -> Optional[Registry]:
    """The registry called ``name`` (mmengine's roots name theirs
    ``optim_wrapper``, mmdeit's children ``optim wrapper``) of ``scope``:
    one of mmengine's root registries, mmdeit's, or their children. Without
    a scope, that of the current default scope."""
    if scope is None:
        current = DefaultScope.get_current_instance()
        scope = current.scope_name if current is not None else 'mmengine'
    named = [registry for root in _roots()
             for registry in _descendants(root)
             if registry.name.replace('_', ' ') == name.replace('_', ' ')]
    for registry in named:
        if registry.scope == scope:
            return registry
    return named[0] if named else None


def closest_types(name: str, registry: Registry, limit: int = 3
                  ) -> List[str]:
    """The registered names nearest ``name`` (case aside) in ``registry``
    and the registries it falls back on (its parents)."""
    candidates = set()
    while registry is not None:
        candidates.update(registry.module_dict)
        registry = registry.parent
    return closest(name.split('.')[-1], candidates, limit)


def registered_type(name: str) -> Optional[type]:
    """The class registered as ``name`` in mmdeit's scope of any registry
    (or in a root registry), or None."""
    for root in _roots():
        for registry in (find_registry(root.name, 'mmdeit'), root):
            if registry is not None and name in registry.module_dict:
                return registry.module_dict[name]
    return None


def unknown_type(name: str, registry: Optional[Registry],
                 where: str) -> UnknownTypeError:
    """The error for a ``type`` ``name`` that ``registry`` (called
    ``where``) does not hold."""
    suggestions = closest_types(name, registry) \
        if registry is not None else []
    hint = ' (did you mean ' + ' or '.join(map(repr, suggestions)) + \
        '?)' if suggestions else ''
    return UnknownTypeError(
        'type', name, f'not a registered type of the {where} registry{hint}')


# mmengine's builders say "X is not in the <scope>::<name> registry" (or
# "... the <name> registry" for runners and parameter schedulers).
_UNKNOWN = re.compile(r'(?P<type>[\w.]+) is not in the '
                      r'(?:(?P<scope>[\w.-]+)::)?(?P<registry>[\w ]+?) '
                      r'registry')


def unknown_type_error(error: BaseException) -> Optional[UnknownTypeError]:
    """mmengine's unknown-type ``KeyError`` as an :class:`UnknownTypeError`
    naming the closest registered types, or None for any other error."""
    if isinstance(error, UnknownTypeError):
        return error
    if not isinstance(error, KeyError):
        return None
    message = str(error.args[0]) if error.args else ''
    match = _UNKNOWN.search(message)
    if match is None:
        return None
    scope = match['scope']
    where = f'{scope}::{match["registry"]}' if scope else match['registry']
    return unknown_type(match['type'], find_registry(match['registry'], scope),
                        where)


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
