"""Writing mmdeit weights as other layouts' releases: an official/timm
file, a Hugging Face transformers folder."""
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence

from torch import nn

from mmengine.logging import print_log

from .files import save_weights, write_json
from .hf_folder import CONFIG_FILE, PREPROCESSOR_FILE, WEIGHT_FILES, hf_config
from .hf_processor import ProcessorConfig, hf_processor_config
from .layouts import StateDict, from_mmdeit


def save_timm(state: StateDict, path: str) -> str:
    """Write ``state`` (mmdeit names) in the official layout: ``{'model':
    state_dict}`` for ``.pth``, the bare state dict for ``.safetensors``."""
    timm_state = {k: v.detach().cpu()
                  for k, v in from_mmdeit(state, 'timm').items()}
    if path.endswith('.safetensors'):
        return save_weights(timm_state, path)
    return save_weights(dict(model=timm_state), path)


def default_classes(num_classes: int, meta: Optional[Dict[str, Any]],
                    imagenet_classes: Sequence[str]) -> Optional[List[str]]:
    """Class names for an export: the checkpoint's ``dataset_meta`` when it
    has one class per output, else ``imagenet_classes`` (ImageNet-1k's, which
    the caller supplies) for 1000 classes, else None."""
    classes = ((meta or {}).get('dataset_meta') or {}).get('classes')
    if classes is not None and len(classes) == num_classes:
        return list(classes)
    if num_classes == 1000:
        return list(imagenet_classes)
    return None


def test_pipeline_of(cfg) -> Optional[List[dict]]:
    """The transforms a config evaluates with: its test dataloader's
    pipeline, else its ``test_pipeline``; None without either."""
    if cfg is None:
        return None
    dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
    pipeline = dataset.get('pipeline') or cfg.get('test_pipeline')
    return None if pipeline is None else [dict(t) for t in pipeline]


def processor_of(model: nn.Module,
                 test_pipeline: Optional[Sequence[dict]] = None
                 ) -> ProcessorConfig:
    """The image processor config of ``model``: ``test_pipeline`` (default:
    that of ``model.cfg``, as :func:`mmdeit.get_model` sets it) and the
    normalisation of its data preprocessor."""
    if test_pipeline is None:
        test_pipeline = test_pipeline_of(getattr(model, 'cfg', None))
    preprocessor = getattr(model, 'data_preprocessor', None)
    normalise = getattr(preprocessor, 'normalize', False)
    return hf_processor_config(
        test_pipeline, tuple(model.backbone.img_size),
        mean=preprocessor.mean.view(-1).tolist() if normalise else None,
        std=preprocessor.std.view(-1).tolist() if normalise else None,
        to_rgb=getattr(preprocessor, 'to_rgb', True))


def save_hf(model: nn.Module, out_dir: str,
            state: Optional[StateDict] = None,
            classes: Optional[Sequence[str]] = None,
            test_pipeline: Optional[Sequence[dict]] = None) -> List[str]:
    """Write a transformers model folder: ``config.json``,
    ``model.safetensors`` and ``preprocessor_config.json``.

    Args:
        model: the classifier (its structure sets the config).
        out_dir: the folder, created if needed.
        state: the weights in mmdeit names (default: the model's own).
        classes: class names for ``id2label``.
        test_pipeline: the transforms the model is evaluated with (default:
            its ``cfg``'s); the image processor is written from them and
            the data preprocessor's normalisation (see
            :func:`mmdeit.checkpoint.hf_processor.hf_processor_config`).

    Returns the notes on what transformers' image processor does otherwise
    than the test pipeline (also logged as warnings); empty when it
    reproduces it. ``AutoModelForImageClassification.from_pretrained(
    out_dir)`` (or the class named in the config) and ``AutoImageProcessor``
    read the folder.
    """
    state = model.state_dict() if state is None else state
    config = hf_config(model, classes)
    processor = processor_of(model, test_pipeline)
    os.makedirs(out_dir, exist_ok=True)
    save_weights(from_mmdeit(state, 'hf'),
                 osp.join(out_dir, WEIGHT_FILES[0]))
    write_json(config, osp.join(out_dir, CONFIG_FILE))
    write_json(processor.config, osp.join(out_dir, PREPROCESSOR_FILE))
    for note in processor.notes:
        print_log(f'{out_dir}/{PREPROCESSOR_FILE}: {note}',
                  logger='current', level=30)
    return processor.notes
