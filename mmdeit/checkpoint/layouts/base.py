"""What a layout is: a two-way key table, the keys that identify it, and the
conversion to and from mmdeit's names (``backbone.*``, ``head.*``)."""
import re
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import torch

from ..errors import CheckpointError

StateDict = Dict[str, torch.Tensor]

# ``{name}`` or ``{name+N}`` in a key template: a number, counted from N.
_FIELD = re.compile(r'\{(\w+)(?:\+(\d+))?\}')


class KeyTemplate:
    """One spelling of a key, e.g. ``'blocks.{i}.norm1.'``.

    A template ending with '.' names a prefix (the rest of the key, such as
    ``weight``, is kept), the empty one every key; any other names a whole
    key. ``{i}`` stands for a
    number, ``{i+1}`` for one that this layout counts from 1.
    """

    def __init__(self, text: str):
        self.text = text
        self.offsets: Dict[str, int] = {}
        pattern, last = '^', 0
        for field in _FIELD.finditer(text):
            name, offset = field.group(1), int(field.group(2) or 0)
            self.offsets[name] = offset
            pattern += re.escape(text[last:field.start()]) + \
                rf'(?P<{name}>\d+)'
            last = field.end()
        pattern += re.escape(text[last:])
        self.regex = re.compile(pattern if text.endswith('.') or not text
                                else pattern + '$')

    def match(self, key: str) -> Optional[Tuple[Dict[str, int], str]]:
        """-> (the numbers, counted from 0; the rest of the key), or None."""
        found = self.regex.match(key)
        if found is None:
            return None
        numbers = {name: int(found.group(name)) - offset
                   for name, offset in self.offsets.items()}
        return numbers, key[found.end():]

    def format(self, numbers: Dict[str, int], rest: str = '') -> str:
        return _FIELD.sub(
            lambda f: str(numbers[f.group(1)] + int(f.group(2) or 0)),
            self.text) + rest


Spellings = Union[str, Sequence[str]]


class KeyTable:
    """Key renaming in both directions, from one table.

    Each row is ``(mmdeit template, foreign template or templates)``, the
    most specific rows first: a key takes the first row it matches. Reading
    a foreign state dict accepts every spelling of a row; writing one uses
    the first.
    """

    def __init__(self, rows: Sequence[Tuple[str, Spellings]]):
        self.rows: List[Tuple[KeyTemplate, List[KeyTemplate]]] = [
            (KeyTemplate(ours), [KeyTemplate(t) for t in (
                [theirs] if isinstance(theirs, str) else theirs)])
            for ours, theirs in rows]

    def to_mmdeit(self, state: StateDict) -> StateDict:
        """Foreign -> mmdeit names; keys no row matches keep their names
        (the loader reports them)."""
        renamed = {}
        for key, value in state.items():
            renamed[self._to_mmdeit_key(key) or key] = value
        return renamed

    def from_mmdeit(self, state: StateDict, layout: str) -> StateDict:
        """mmdeit -> foreign names, refusing to write a file with keys that
        the table has no name for."""
        renamed, left = {}, []
        for key, value in state.items():
            new_key = self._from_mmdeit_key(key)
            if new_key is None:
                left.append(key)
            renamed[new_key] = value
        if left:
            raise CheckpointError(f'no {layout} name for {len(left)} '
                                  f'key(s): {", ".join(sorted(left))}')
        return renamed

    def _to_mmdeit_key(self, key: str) -> Optional[str]:
        for ours, spellings in self.rows:
            for theirs in spellings:
                found = theirs.match(key)
                if found is not None:
                    return ours.format(*found)
        return None

    def _from_mmdeit_key(self, key: str) -> Optional[str]:
        for ours, spellings in self.rows:
            found = ours.match(key)
            if found is not None:
                return spellings[0].format(*found)
        return None


class Signature(NamedTuple):
    """The keys that identify a layout (regular expressions): each of
    ``all_of`` matches some key, one of ``any_of`` does (when given), and
    none of ``none_of`` matches any."""
    all_of: Tuple[str, ...]
    any_of: Tuple[str, ...] = ()
    none_of: Tuple[str, ...] = ()

    def evidence(self, keys: Sequence[str]) -> Optional[List[str]]:
        """The keys that show the layout (the first match of each pattern),
        or None when ``keys`` are not in it."""
        def first(pattern):
            return next((k for k in keys if re.search(pattern, k)), None)
        shown = [first(p) for p in self.all_of]
        if None in shown:
            return None
        if self.any_of:
            hits = [k for k in map(first, self.any_of) if k is not None]
            if not hits:
                return None
            shown.append(hits[0])
        if any(first(p) is not None for p in self.none_of):
            return None
        return shown


class Layout:
    """A checkpoint layout: its name, the keys that identify it and its key
    table. A layout whose tensors differ too (not only their names)
    overrides :meth:`to_mmdeit` / :meth:`from_mmdeit`."""

    def __init__(self, name: str, signature: Signature, table: KeyTable):
        self.name = name
        self.signature = signature
        self.table = table

    def to_mmdeit(self, state: StateDict) -> StateDict:
        return self.table.to_mmdeit(state)

    def from_mmdeit(self, state: StateDict) -> StateDict:
        return self.table.from_mmdeit(state, self.name)

    def __repr__(self) -> str:
        return f'Layout({self.name!r})'
