"""Checkpoint layouts and the conversion between them and mmdeit's names.

Each layout is one module of this package that defines ``LAYOUT`` (a
:class:`~.base.Layout`: its name, the keys that identify it and a two-way
key table); adding a layout is adding a module, which is found here.

Detection does not depend on the order in which the modules load: every
layout's signature is checked and exactly one must fit.
"""
import importlib
import pkgutil
from typing import Dict, Optional, Tuple

from ..errors import CheckpointError
from .base import KeyTable, Layout, Signature, StateDict


def _find_layouts() -> Dict[str, Layout]:
    """The ``LAYOUT`` of every module of this package but ``base``."""
    found = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name != 'base':
            layout = importlib.import_module(f'{__name__}.{info.name}').LAYOUT
            found[layout.name] = layout
    return dict(sorted(found.items()))


LAYOUTS: Dict[str, Layout] = _find_layouts()


def detect_layout(state: StateDict) -> Layout:
    """The one layout whose signature ``state``'s keys fit.

    Raises:
        CheckpointError: none fits, or more than one (naming the keys that
            point to each).
    """
    keys = list(state)
    fits = {}
    for name, layout in sorted(LAYOUTS.items()):
        evidence = layout.signature.evidence(keys)
        if evidence is not None:
            fits[name] = evidence
    if len(fits) == 1:
        return LAYOUTS[next(iter(fits))]
    if not fits:
        raise CheckpointError(
            'unrecognised checkpoint layout (none of '
            f'{", ".join(sorted(LAYOUTS))} fits); first keys: {keys[:8]}')
    raise CheckpointError(
        'ambiguous checkpoint layout: its keys fit ' + '; '.join(
            f'{name} (by {", ".join(evidence)})'
            for name, evidence in fits.items()) +
        '; name the layout to convert it')


def get_layout(name: str) -> Layout:
    if name not in LAYOUTS:
        raise CheckpointError(f'unknown checkpoint layout "{name}"; known: '
                              f'{", ".join(sorted(LAYOUTS))}')
    return LAYOUTS[name]


def strip_prefix(state: StateDict, prefix: str) -> StateDict:
    return {k[len(prefix):] if k.startswith(prefix) else k: v
            for k, v in state.items()}


def to_mmdeit(state: StateDict,
              layout: Optional[str] = None) -> Tuple[StateDict, str]:
    """A state dict in mmdeit's names, from ``layout`` (by name; None
    detects it, see :func:`detect_layout`).

    Returns:
        (the state dict in mmdeit's names, the layout's name).
    """
    # DataParallel / DDP wrappers prefix every key with 'module.'.
    if state and all(k.startswith('module.') for k in state):
        state = strip_prefix(state, 'module.')
    found = detect_layout(state) if layout is None else get_layout(layout)
    return found.to_mmdeit(state), found.name


def from_mmdeit(state: StateDict, layout: str) -> StateDict:
    """A state dict in mmdeit's names, renamed (and reshaped where needed)
    into ``layout``; a key the layout has no name for is an error."""
    return get_layout(layout).from_mmdeit(state)


__all__ = [
    'LAYOUTS', 'KeyTable', 'Layout', 'Signature', 'StateDict',
    'detect_layout', 'from_mmdeit', 'get_layout', 'to_mmdeit'
]
