"""mmengine's optimizer constructor logs one line per setting of every
parameter tensor that has its own (``paramwise_options -- name:key=value``):
some 450 lines for a DeiT-small, a quarter of a training log. This keeps
them to a summary, one line per distinct setting; with ``log_level='DEBUG'``
they are all kept."""
import logging
from contextlib import contextmanager
from typing import Dict, Iterator, List

PREFIX = 'paramwise_options -- '


class ParamwiseOptionsSummary(logging.Filter):
    """Takes mmengine's per-tensor ``paramwise_options`` records off a
    logger, keeping what they say in :attr:`settings` (tensor name ->
    {setting: value})."""

    def __init__(self):
        super().__init__()
        self.settings: Dict[str, Dict[str, str]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if not message.startswith(PREFIX):
            return True
        name, _, setting = message[len(PREFIX):].rpartition(':')
        key, _, value = setting.partition('=')
        self.settings.setdefault(name, {})[key] = value
        return False

    def summary(self) -> str:
        """One line per distinct set of settings: how many tensors have it,
        and the first of them."""
        groups: Dict[str, List[str]] = {}
        for name, settings in self.settings.items():
            said = ', '.join(f'{k}={v}' for k, v in sorted(settings.items()))
            groups.setdefault(said, []).append(name)
        lines = [f'paramwise_cfg: {len(self.settings)} parameter tensors '
                 'with settings of their own (each one listed with '
                 "log_level='DEBUG'):"]
        for said, names in groups.items():
            shown = ', '.join(names[:3]) + (', ...' if len(names) > 3 else '')
            lines.append(f'  {said}: {len(names)} ({shown})')
        return '\n'.join(lines)


@contextmanager
def summarised_paramwise_options(logger: logging.Logger) -> Iterator[None]:
    """Within the block, ``logger`` keeps mmengine's ``paramwise_options``
    lines to one summary, logged at the end (unless it logs DEBUG records:
    then every line is kept)."""
    # an MMLogger's level is its handlers' (log_level), the logger's NOTSET
    levels = [handler.level for handler in logger.handlers] or \
        [logger.getEffectiveLevel()]
    if min(levels) <= logging.DEBUG:
        yield
        return
    summary = ParamwiseOptionsSummary()
    logger.addFilter(summary)
    try:
        yield
    finally:
        logger.removeFilter(summary)
    if summary.settings:
        logger.info(summary.summary())
