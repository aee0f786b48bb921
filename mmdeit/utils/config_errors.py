"""Config mistakes named in one line: the key, the value, what is allowed.

Each value is checked where it is consumed (a backbone's ``__init__``, a
hook's, the registry that builds a type), which knows what is allowed but not
where the config put the value: it raises :class:`ConfigValueError` with the
argument's name (``drop_path_rate``) and its own type
(``VisionTransformer``), and :func:`mmdeit.utils.config_paths.
named_config_errors` finds the key in the config, so that the last line of
the error reads::

    ConfigValueError: model.backbone.drop_path_rate=1.5: must be in [0, 1)

The ``check_*`` helpers write the message of the common cases.
"""
import difflib
from typing import Any, Iterable, List, Optional, Sequence, Tuple


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


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
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
    inside = is_number(value) and (
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
