"""Name the closest registered types when a config names an unknown one."""
import re
from typing import Iterator, List, Optional

import mmengine.registry as mmengine_registries
from mmengine.registry import DefaultScope, Registry

import mmdeit.registry as mmdeit_registries
from .config_errors import ConfigValueError, closest


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


