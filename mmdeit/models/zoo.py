"""The model zoo: every config under configs/deit/ (and the other model
folders) by its file stem, with released weights from the metafiles. A
metafile entry whose name is not a config's (a second set of weights for
one config, e.g. DeiT III pre-trained on ImageNet-21k) is a zoo model of
its own, built from the config its ``Config`` names.

It lives in ``models`` (not ``apis``) because the distiller builds its
teacher from a zoo name or config; ``mmdeit.apis`` re-exports it."""
import difflib
import fnmatch
import logging
import os.path as osp
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Union

import yaml
from mmengine.config import Config, ConfigDict
from mmengine.logging import MMLogger
from torch import nn

from mmdeit.checkpoint import DownloadError, load_pretrained
from mmdeit.registry import MODELS
from mmdeit.utils.config_paths import named_config_errors
from .utils import compile_model
from .utils.precision import resolve_precision, set_inference_precision

ZOO_FOLDERS = ('deit', 'deit3', 'teachers', 'demo')


def config_root() -> Path:
    """The configs folder: inside the installed package (``.mim``) or, for a
    source checkout, beside it."""
    # the package folder, found without importing mmdeit's top (apis)
    package = Path(__file__).resolve().parents[1]
    candidates = (package / '.mim' / 'configs', package.parent / 'configs')
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f'no configs folder found in {package / ".mim"} or {package.parent}')


@lru_cache(maxsize=1)
def _zoo() -> Dict[str, dict]:
    """name -> dict(config=path, weights=url or None, metadata)."""
    root = config_root()
    zoo = {}
    for folder in ZOO_FOLDERS:
        for path in sorted((root / folder).glob('*.py')):
            zoo[path.stem] = dict(config=str(path), weights=None)
        metafile = root / folder / 'metafile.yml'
        if metafile.exists():
            with open(metafile) as f:
                meta = yaml.safe_load(f) or {}
            for entry in meta.get('Models', []):
                name = entry['Name']
                if name not in zoo:
                    zoo[name] = dict(config=str(_config_path(
                        root, entry.get('Config'), metafile, name)))
                zoo[name].update(weights=entry.get('Weights'), metadata=entry)
    return zoo


def _config_path(root: Path, config: Optional[str], metafile: Path,
                 name: str) -> Path:
    """The config file of a metafile entry: its ``Config``
    (``configs/<folder>/<file>.py``) under the configs folder ``root``."""
    if not config:
        raise ValueError(f'{metafile}: model {name} is not a config of its '
                         'folder and names no Config')
    path = root.joinpath(*Path(config).parts[1:])
    if not path.is_file():
        raise FileNotFoundError(f'{metafile}: model {name} names Config '
                                f'{config}, which does not exist')
    return path


def list_models(pattern: Optional[str] = None) -> List[str]:
    """Names of the zoo's models, optionally filtered by a shell-style
    pattern (``'*distilled*'``)."""
    names = sorted(_zoo())
    if pattern is None:
        return names
    pattern = pattern if any(c in pattern for c in '*?[') else f'*{pattern}*'
    return [name for name in names if fnmatch.fnmatch(name, pattern)]


def model_info(name: str) -> dict:
    """The zoo entry of ``name``: config path, weights URL, metadata."""
    zoo = _zoo()
    if name not in zoo:
        close = difflib.get_close_matches(name, zoo, n=3, cutoff=0.4)
        hint = f' Did you mean {", ".join(close)}?' if close else ''
        raise ValueError(f'unknown model "{name}".{hint} '
                         'mmdeit.list_models() lists all names.')
    return zoo[name]


def load_config(model: Union[str, Config]) -> Config:
    """A Config from a zoo name, a config path or a Config."""
    if isinstance(model, Config):
        return model.copy()
    if osp.isfile(model):
        return Config.fromfile(model)
    if model.endswith('.py'):
        raise FileNotFoundError(f'config file not found: {model}')
    return Config.fromfile(model_info(model)['config'])


def build_model_from_config(cfg: Config) -> nn.Module:
    """Build ``cfg.model`` with mmdeit's registries, folding in a top-level
    ``data_preprocessor`` as mmengine's runner does. A wrong value raises
    :class:`mmdeit.utils.config_errors.ConfigValueError` naming its key."""
    model_cfg = cfg.model.copy()
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    with named_config_errors(cfg):
        return MODELS.build(model_cfg)


def merge_overrides(base: dict, overrides: dict) -> ConfigDict:
    """Merge ``overrides`` into ``base``: dicts into dicts recursively, any
    other value replaced (an arch name by an arch dict, say)."""
    merged = ConfigDict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_overrides(merged[key], value)
        else:
            merged[key] = value
    return merged


@contextmanager
def quiet_init_log():
    """mmengine logs every parameter's initialisation at INFO level; a zoo
    user building a model does not need that."""
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def get_model(model: Union[str, Config],
              pretrained: Union[bool, str] = False,
              device: str = 'cpu',
              compile: Union[bool, dict] = False,
              precision: str = 'fp32',
              **overrides) -> nn.Module:
    """Build a model of the zoo, in eval mode.

    Args:
        model: zoo name (e.g. 'deit-small-distilled_pt-4xb256_in1k'), config
            path or Config.
        pretrained: False (random weights), True (the released weights of the
            zoo entry, downloaded once and cached), or a path or URL of a
            checkpoint in any layout mmdeit recognises.
        device: where to put the model.
        compile: True or a dict of ``torch.compile`` arguments compiles the
            backbone and head in place (see
            :func:`mmdeit.models.utils.compile_model`).
        precision: 'fp32', 'bf16' (the backbone's weights cast to bfloat16
            once, float32 images in and float32 logits out; for inference)
            or 'auto' (bf16 where ``device`` has bf16 units: a CPU with
            AVX512-BF16 or AMX, a GPU with bf16 support).
        **overrides: merged into ``cfg.model``, e.g.
            ``head=dict(num_classes=10)``.

    With ``pretrained`` and a ``head`` override of another number of classes
    than the checkpoint's, the backbone (and any other part that fits) comes
    from the checkpoint and the head is new, initialised as the config says
    (fine-tuning); a log line says so. Without the override such a head is
    refused.
    """
    precision = resolve_precision(precision, device)
    cfg = load_config(model)
    if overrides:
        cfg.model = merge_overrides(cfg.model, overrides)
    num_classes = (overrides.get('head') or {}).get('num_classes')
    for holder in (cfg, cfg.model):
        preprocessor = holder.get('data_preprocessor') or {}
        if num_classes is not None and 'num_classes' in preprocessor:
            # the batch augments' one-hot targets follow the new head
            preprocessor['num_classes'] = num_classes
    if pretrained is True:
        if not isinstance(model, str) or osp.isfile(model):
            raise ValueError('pretrained=True needs a zoo name; give a '
                             'checkpoint path or URL instead')
        pretrained = model_info(model)['weights']
        if pretrained is None:
            raise ValueError(f'model "{model}" has no released weights')
    # Weights given here replace the config's own init (e.g. the 224 px
    # checkpoint a 384 px fine-tuning config starts from).
    cfg.model.pop('init_cfg', None)
    # A distillation config's teacher serves training only (tools/train.py
    # builds it); a zoo model skips it unless the overrides give one.
    if 'teacher' not in overrides:
        cfg.model.pop('teacher', None)
        cfg.model.pop('distillation', None)
    net = build_model_from_config(cfg)
    if pretrained:
        try:
            report = load_pretrained(net, pretrained,
                                     new_head=num_classes is not None)
        except DownloadError as error:
            raise error.naming('pretrained') from None
        if report.norm_eps is not None:
            # the model now uses the eps of its weights (e.g. a Hugging Face
            # config's 1e-12); say so in the config it carries.
            cfg.model.backbone.pop('norm_cfg', None)
            cfg.model.backbone.norm_eps = report.norm_eps
        if report.classes is not None:
            # MMPretrain's attribute: the classes the weights were trained on
            net.dataset_meta = dict(classes=report.classes)
        if report.new_head:
            with quiet_init_log():
                net.head.init_weights()
            MMLogger.get_current_instance().info(
                f'{model}: backbone from {pretrained}; new head of '
                f'{num_classes} classes, initialised (fine-tune it)')
    else:
        with quiet_init_log():
            net.init_weights()
    net.cfg = cfg
    net = set_inference_precision(net.to(device).eval(), precision)
    return compile_model(net, compile)
