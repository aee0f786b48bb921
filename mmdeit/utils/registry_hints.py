"""Name the closest registered types when a config names an unknown one."""
import contextlib
import difflib
import re
from typing import Iterator, List, Optional

from mmengine.registry import DefaultScope, Registry

# mmengine's builders say "X is not in the <scope>::<name> registry" (or
# "... the <name> registry" for runners and parameter schedulers).
_UNKNOWN = re.compile(r'(?P<type>[\w.]+) is not in the '
                      r'(?:(?P<scope>[\w.-]+)::)?(?P<registry>[\w ]+?) '
                      r'registry')


class UnknownTypeError(KeyError):
    """A config names a type that no registry holds; the message suggests
    the closest registered names. Still a ``KeyError``, as mmengine
    raises."""

    def __str__(self) -> str:
        return str(self.args[0])


def _descendants(registry: Registry) -> Iterator[Registry]:
    yield registry
    for child in registry.children.values():
        yield from _descendants(child)


def find_registry(name: str, scope: Optional[str] = None
                  ) -> Optional[Registry]:
    """The registry called ``name`` of ``scope``: mmengine's root
    registries and their children (mmdeit's, mmcv's...). Without a scope,
    that of the current default scope, else the root."""
    import mmengine.registry as roots
    if scope is None:
        current = DefaultScope.get_current_instance()
        scope = current.scope_name if current is not None else 'mmengine'
    found = None
    for root in vars(roots).values():
        if not isinstance(root, Registry) or root.name != name:
            continue
        for registry in _descendants(root):
            if registry.scope == scope:
                return registry
        found = root
    return found


def closest_types(name: str, registry: Registry, limit: int = 3
                  ) -> List[str]:
    """The registered names nearest ``name`` (case aside) in ``registry``
    and the registries it falls back on (its parents)."""
    candidates = set()
    while registry is not None:
        candidates.update(registry.module_dict)
        registry = registry.parent
    by_lower = {candidate.lower(): candidate for candidate in candidates}
    matches = difflib.get_close_matches(
        name.split('.')[-1].lower(), list(by_lower), n=limit, cutoff=0.6)
    return [by_lower[match] for match in matches]


def explain_unknown_type(error: BaseException) -> Optional[str]:
    """A "did you mean" message for mmengine's unknown-type ``KeyError``,
    or None for any other error."""
    message = str(error.args[0]) if error.args else ''
    match = _UNKNOWN.search(message)
    if match is None:
        return None
    name, scope = match['type'], match['scope']
    registry = find_registry(match['registry'], scope)
    where = f'{scope}::{match["registry"]}' if scope else match['registry']
    text = f'{name!r} is not a registered type of the {where} registry.'
    suggestions = closest_types(name, registry) if registry else []
    if suggestions:
        text += ' Did you mean ' + ' or '.join(map(repr, suggestions)) + '?'
    return f'{text}\n(mmengine: {message})'


@contextlib.contextmanager
def unknown_type_hints() -> Iterator[None]:
    """Re-raise mmengine's unknown-type ``KeyError`` as
    :class:`UnknownTypeError` naming the closest registered types. Works as
    a ``with`` block or as a decorator (``@unknown_type_hints()``)."""
    try:
        yield
    except UnknownTypeError:
        raise
    except KeyError as error:
        hint = explain_unknown_type(error)
        if hint is None:
            raise
        raise UnknownTypeError(hint) from error
