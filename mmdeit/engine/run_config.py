"""What a config must hold for the job a tool runs, checked before the
runner builds anything (the model, a teacher and its download included)."""
import copy
from typing import Sequence

from mmengine.config import Config

from mmdeit.registry import DATASETS
from mmdeit.utils.config_errors import ConfigPathError

# mmengine's Runner wants each of these groups all set or all None.
TRAIN_PART = ('train_dataloader', 'train_cfg', 'optim_wrapper',
              'param_scheduler', 'auto_scale_lr')
VAL_PART = ('val_dataloader', 'val_cfg', 'val_evaluator')
TEST_PART = ('test_dataloader', 'test_evaluator')


def for_testing(cfg: Config, source: str = 'the config') -> Config:
    """``cfg`` with only what evaluation needs: its training and validation
    parts are dropped, so a config that evaluates but cannot train (a
    teacher config whose ``_base_`` brings a ``train_dataloader`` and no
    schedule) tests as it is. ``test_cfg`` defaults to ``dict()``.

    Raises:
        ValueError: ``cfg`` has no ``test_dataloader`` or
            ``test_evaluator`` (``source`` names the file).
    """
    missing = [key for key in TEST_PART if cfg.get(key) is None]
    if missing:
        raise ValueError(
            f'{source} has no {" and no ".join(missing)}: tools/test.py '
            'evaluates on the test part of a config (test_dataloader, '
            'test_evaluator, optionally test_cfg)')
    for key in TRAIN_PART + VAL_PART:
        cfg[key] = None
    if cfg.get('test_cfg') is None:
        cfg.test_cfg = dict()
    return cfg


def check_data(cfg: Config, loaders: Sequence[str]) -> None:
    """Build the dataset of each dataloader named in ``loaders`` (e.g.
    ``('train_dataloader', 'val_dataloader')``) with ``lazy_init=True``:
    mmdeit's datasets check their folders and annotation files then, before
    any data is read, so a missing dataset is reported before the model is
    built (and its teacher downloaded). Loaders that are None, built objects
    or datasets that do not take ``lazy_init`` are skipped.

    Raises:
        FileNotFoundError: a ``data_root``, image folder or annotation file
            is missing; the message names the path and the loader (a
            :class:`ConfigPathError` at the dataset's key where the dataset
            names the argument).
    """
    for name in loaders:
        loader = cfg.get(name)
        if not isinstance(loader, dict) or \
                not isinstance(loader.get('dataset'), dict):
            continue
        dataset = _lazy(copy.deepcopy(loader['dataset']))
        hint = ('Put the data there, or point the config at it (e.g. '
                f'--cfg-options {name}.dataset.data_root=DIR)')
        try:
            DATASETS.build(dataset)
        except ConfigPathError as error:
            # a path the dataset names as one of its arguments
            raise ConfigPathError(
                error.key, error.value, f'{error.allowed}. {hint}',
                error.owner).at(f'{name}.dataset.{error.key}') from error
        except FileNotFoundError as error:
            raise FileNotFoundError(
                f'{name}.dataset ({dataset.get("type")}): {error}. '
                f'{hint}') from error
        except TypeError as error:
            if 'lazy_init' not in str(error):
                raise


def _lazy(dataset: dict) -> dict:
    """``dataset`` (and the datasets a wrapper holds) with
    ``lazy_init=True``."""
    dataset['lazy_init'] = True
    for key in ('dataset', 'datasets'):
        inner = dataset.get(key)
        if isinstance(inner, dict):
            _lazy(inner)
        elif isinstance(inner, (list, tuple)):
            for item in inner:
                if isinstance(item, dict):
                    _lazy(item)
    return dataset
