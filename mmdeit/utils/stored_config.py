"""Configs kept inside data files (an ONNX file's metadata): written as
JSON, read without running anything, and built from registered types only.

A config file is Python and runs when loaded: that is fine for the configs a
user writes, not for a file from elsewhere. mmengine's registries also import
any dotted ``type`` they do not hold (``type='subprocess.getoutput'`` calls
it), so a stored config names registered types only
(:func:`check_registered_types`).
"""
import ast
import json
from typing import Any, Iterable, Iterator, Tuple

from mmengine.registry import Registry

# JSON has no tuple; configs use them (``topk=(1, 5)``) and some consumers
# tell them from lists.
_TUPLE = '__tuple__'


class StoredConfigError(ValueError):
    """A stored config that is not plain data, or names a type no registry
    holds. The message names the file and the place at fault."""


def _to_data(value: Any, key: str) -> Any:
    if isinstance(value, (str, bool, int, float)) or value is None:
        return value
    if isinstance(value, dict):
        for name in value:
            if not isinstance(name, str):
                raise TypeError(f'config key {key}.{name!r} is not a string; '
                                'a stored config holds str keys only')
        return {name: _to_data(item, f'{key}.{name}' if key else name)
                for name, item in value.items()}
    if isinstance(value, list):
        return [_to_data(item, f'{key}.{i}') for i, item in enumerate(value)]
    if isinstance(value, tuple):
        return {_TUPLE: [_to_data(item, f'{key}.{i}')
                         for i, item in enumerate(value)]}
    raise TypeError(f'config value {key}={value!r} ({type(value).__name__}) '
                    'cannot be stored as data: use str, numbers, bool, None, '
                    'lists, tuples and dicts (a type by its registered name)')


def config_to_json(cfg: dict) -> str:
    """A config dict (e.g. ``cfg.to_dict()``) as JSON text; TypeError
    naming the key of any value that is not plain data."""
    return json.dumps(_to_data(dict(cfg), ''), sort_keys=True)


def _from_data(value: dict) -> Any:
    if set(value) == {_TUPLE}:
        return tuple(value[_TUPLE])
    return value


def config_from_json(text: str, source: str) -> dict:
    """The dict that :func:`config_to_json` wrote."""
    try:
        cfg = json.loads(text, object_hook=_from_data)
    except ValueError as error:
        raise StoredConfigError(f'{source}: the stored config is not valid '
                                f'JSON ({error})') from error
    if not isinstance(cfg, dict):
        raise StoredConfigError(f'{source}: the stored config is a JSON '
                                f'{type(cfg).__name__}, not an object')
    return cfg


class _NotALiteral(Exception):

    def __init__(self, node: ast.AST):
        super().__init__(node)
        self.node = node


def _literal(node: ast.AST) -> Any:
    """The value of a literal expression as mmengine's ``pretty_text``
    writes it: constants, lists, tuples, dicts and ``dict(...)`` calls of
    literals. Anything else raises :class:`_NotALiteral`."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(
            node.op, (ast.USub, ast.UAdd)) and isinstance(
                node.operand, ast.Constant) and type(
                    node.operand.value) in (int, float):
        value = node.operand.value
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.List):
        return [_literal(item) for item in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_literal(item) for item in node.elts)
    if isinstance(node, ast.Dict):
        if any(key is None for key in node.keys):  # {**other}
            raise _NotALiteral(node)
        return {_literal(key): _literal(value)
                for key, value in zip(node.keys, node.values)}
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id == 'dict' and len(node.args) <= 1 \
            and all(keyword.arg for keyword in node.keywords):
        result = {}
        for arg in node.args:
            value = _literal(arg)
            if not isinstance(value, dict):
                raise _NotALiteral(arg)
            result.update(value)
        result.update((keyword.arg, _literal(keyword.value))
                      for keyword in node.keywords)
        return result
    raise _NotALiteral(node)


def config_from_python_literals(text: str, source: str, hint: str) -> dict:
    """A config written as Python (mmengine's ``pretty_text``: one
    ``name = literal`` per statement), read without running it: parsed, and
    every value evaluated as a literal. Any other statement or expression is
    refused, naming its line; ``hint`` says what to do instead."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        raise StoredConfigError(f'{source}: the stored config is not '
                                f'readable Python ({error}). {hint}') \
            from error
    cfg = {}
    for statement in tree.body:
        try:
            if not (isinstance(statement, ast.Assign)
                    and len(statement.targets) == 1
                    and isinstance(statement.targets[0], ast.Name)):
                raise _NotALiteral(statement)
            cfg[statement.targets[0].id] = _literal(statement.value)
        except _NotALiteral as refused:
            code = ast.get_source_segment(text, refused.node) or \
                ast.dump(refused.node)
            line = getattr(refused.node, 'lineno', statement.lineno)
            raise StoredConfigError(
                f'{source}: the stored config holds code, which mmdeit does '
                f'not run (line {line}: {code[:80]!r}); only literal values '
                f'are read from a file. {hint}') from None
    return cfg


def _typed_dicts(value: Any, where: str) -> Iterator[Tuple[str, dict]]:
    if isinstance(value, dict):
        if 'type' in value:
            yield where, value
        for key, item in value.items():
            yield from _typed_dicts(item, f'{where}.{key}')
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _typed_dicts(item, f'{where}.{i}')


def _holds(registry: Registry, name: str) -> bool:
    """Whether ``registry`` (or a registry it falls back on, its parents)
    holds ``name``, without importing anything but the registry's own
    ``locations``."""
    registry.import_from_location()
    scope, _, short = name.rpartition('.')
    if scope:
        return scope == registry.scope and short in registry.module_dict
    while registry is not None:
        if name in registry.module_dict:
            return True
        registry = registry.parent
    return False


def check_registered_types(cfg: Any, where: str,
                           registries: Iterable[Registry],
                           source: str) -> None:
    """Refuse a stored config part (``cfg``, found at ``where``) in which a
    ``type`` is not a name that one of ``registries`` holds."""
    registries = list(registries)
    for place, typed in _typed_dicts(cfg, where):
        name = typed['type']
        if isinstance(name, str) and any(_holds(registry, name)
                                         for registry in registries):
            continue
        kinds = ', '.join(registry.name for registry in registries)
        raise StoredConfigError(
            f'{source}: the stored config names {place}.type={name!r}, '
            f'which is not a registered type ({kinds}); a config read from '
            'a file may name registered types only')
