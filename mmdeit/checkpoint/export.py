"""Export mmdeit models to the official/timm layout and to Hugging Face
transformers folders.

Which transformers class a classifier becomes:

- ``DistilledVisionTransformer`` + ``DeiTClsHead``:
  ``DeiTForImageClassificationWithTeacher``;
- ``DistilledVisionTransformer`` + ``LinearClsHead``:
  ``DeiTForImageClassification``;
- ``VisionTransformer`` + ``LinearClsHead``: ``ViTForImageClassification``.

transformers' DeiT classes always have a distillation token, so a model
without one is a ViT to transformers (the Hub's ``facebook/deit-*-patch16-*``
models without distillation are ViT models too).
"""
import json
import os
import os.path as osp
import re
from typing import Any, Dict, List, NamedTuple, Optional, Sequence

from torch import nn

from .formats import StateDict, rename_keys
from .io import CheckpointError, write_durably
from .saving import save_weights

MMDEIT_TO_TIMM_RULES = [
    (r'^backbone\.(cls_token|dist_token|pos_embed)$', r'\1'),
    (r'^backbone\.patch_embed\.projection\.', 'patch_embed.proj.'),
    (r'^backbone\.layers\.(\d+)\.ln1\.', r'blocks.\1.norm1.'),
    (r'^backbone\.layers\.(\d+)\.ln2\.', r'blocks.\1.norm2.'),
    (r'^backbone\.layers\.(\d+)\.attn\.', r'blocks.\1.attn.'),
    (r'^backbone\.layers\.(\d+)\.ffn\.', r'blocks.\1.mlp.'),
    (r'^backbone\.norm\.', 'norm.'),
    (r'^head\.fc\.', 'head.'),
    (r'^head\.fc_dist\.', 'head_dist.'),
]


def _rename_all(state: StateDict, rules, target: str) -> StateDict:
    """``rename_keys``, refusing to write a file with keys left unrenamed."""
    renamed = rename_keys(state, rules)
    left = sorted(k for k in renamed if k in state)
    if left:
        raise CheckpointError(
            f'no {target} name for {len(left)} key(s): {", ".join(left)}')
    return renamed


def mmdeit_to_timm(state: StateDict) -> StateDict:
    """mmdeit names -> the official DeiT / timm ``VisionTransformer`` and
    ``VisionTransformerDistilled`` names."""
    if 'backbone.dist_token' in state and 'head.fc.weight' in state \
            and 'head.fc_dist.weight' not in state:
        raise CheckpointError(
            'a distilled backbone with one head has no timm equivalent: '
            "timm's distilled DeiT has two heads (head, head_dist)")
    return _rename_all(state, MMDEIT_TO_TIMM_RULES, 'timm')


def save_timm(state: StateDict, path: str) -> str:
    """Write ``state`` (mmdeit names) in the official layout: ``{'model':
    state_dict}`` for ``.pth``, the bare state dict for ``.safetensors``."""
    timm_state = {k: v.detach().cpu()
                  for k, v in mmdeit_to_timm(state).items()}
    if path.endswith('.safetensors'):
        return save_weights(timm_state, path)
    return save_weights(dict(model=timm_state), path)


# Hugging Face transformers -----------------------------------------------

MMDEIT_TO_HF_RULES = [
    (r'^backbone\.cls_token$', '{m}embeddings.cls_token'),
    (r'^backbone\.dist_token$', '{m}embeddings.distillation_token'),
    (r'^backbone\.pos_embed$', '{m}embeddings.position_embeddings'),
    (r'^backbone\.patch_embed\.projection\.',
     '{m}embeddings.patch_embeddings.projection.'),
    (r'^backbone\.layers\.(\d+)\.ln1\.',
     r'{m}encoder.layer.\1.layernorm_before.'),
    (r'^backbone\.layers\.(\d+)\.ln2\.',
     r'{m}encoder.layer.\1.layernorm_after.'),
    (r'^backbone\.layers\.(\d+)\.attn\.proj\.',
     r'{m}encoder.layer.\1.attention.output.dense.'),
    (r'^backbone\.layers\.(\d+)\.ffn\.fc1\.',
     r'{m}encoder.layer.\1.intermediate.dense.'),
    (r'^backbone\.layers\.(\d+)\.ffn\.fc2\.',
     r'{m}encoder.layer.\1.output.dense.'),
    (r'^backbone\.norm\.', '{m}layernorm.'),
]
_QKV = re.compile(r'^backbone\.layers\.(\d+)\.attn\.qkv\.(weight|bias)$')


class HFArchitecture(NamedTuple):
    """A transformers class and where its weights live."""
    name: str
    model_type: str
    prefix: str  # of the backbone's weights
    fc: str  # the classifier that mmdeit calls head.fc
    fc_dist: Optional[str]  # the one it calls head.fc_dist


# by (distillation token, two heads)
HF_ARCHITECTURES = {
    (True, True): HFArchitecture('DeiTForImageClassificationWithTeacher',
                                 'deit', 'deit.', 'cls_classifier',
                                 'distillation_classifier'),
    (True, False): HFArchitecture('DeiTForImageClassification', 'deit',
                                  'deit.', 'classifier', None),
    (False, False): HFArchitecture('ViTForImageClassification', 'vit', 'vit.',
                                   'classifier', None),
}


def hf_architecture(model: nn.Module) -> HFArchitecture:
    """The transformers class of a classifier."""
    distilled = hasattr(model.backbone, 'dist_token')
    two_heads = hasattr(model.head, 'fc_dist')
    if (distilled, two_heads) not in HF_ARCHITECTURES:
        raise CheckpointError(
            'a backbone without distillation token cannot feed a two-headed '
            'DeiTClsHead; transformers has no such model')
    return HF_ARCHITECTURES[(distilled, two_heads)]


def mmdeit_to_hf(state: StateDict, model_prefix: str, fc_name: str,
                 fc_dist_name: Optional[str] = None) -> StateDict:
    """mmdeit names -> the names transformers writes, splitting each qkv
    into query, key and value.

    Args:
        model_prefix: 'deit.' or 'vit.'.
        fc_name / fc_dist_name: the names of the class (and distillation)
            classifier, see :class:`HFArchitecture`.
    """
    rules = [(pattern, target.replace('{m}', model_prefix))
             for pattern, target in MMDEIT_TO_HF_RULES]
    rules.append((r'^head\.fc\.', f'{fc_name}.'))
    if fc_dist_name is not None:
        rules.append((r'^head\.fc_dist\.', f'{fc_dist_name}.'))
    hf_state = {}
    rest = {}
    for key, value in state.items():
        match = _QKV.match(key)
        if match is None:
            rest[key] = value
            continue
        layer, param = match.groups()
        attention = f'{model_prefix}encoder.layer.{layer}.attention.attention'
        for name, part in zip(('query', 'key', 'value'), value.chunk(3)):
            hf_state[f'{attention}.{name}.{param}'] = part
    hf_state.update(_rename_all(rest, rules, 'transformers'))
    return hf_state


def _square_or_pair(size: Sequence[int]):
    return size[0] if size[0] == size[1] else list(size)


def hf_config(model: nn.Module,
              classes: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """The ``config.json`` of a classifier: architecture, sizes, LayerNorm
    eps and class names (``LABEL_i`` when ``classes`` is None)."""
    backbone = model.backbone
    if not isinstance(backbone.norm, nn.LayerNorm):
        raise CheckpointError('transformers always applies a final norm; '
                              'export needs final_norm=True')
    architecture = hf_architecture(model)
    layer = backbone.layers[0]
    num_classes = model.head.num_classes
    if classes is None:
        classes = [f'LABEL_{i}' for i in range(num_classes)]
    if len(classes) != num_classes:
        raise CheckpointError(f'{len(classes)} class names for a head with '
                              f'{num_classes} classes')
    label2id: Dict[str, int] = {}
    for index, name in enumerate(classes):
        # a repeated name (ImageNet has two 'crane') keeps its first index
        label2id.setdefault(name, index)
    return dict(
        architectures=[architecture.name],
        model_type=architecture.model_type,
        hidden_size=backbone.embed_dims,
        num_hidden_layers=backbone.num_layers,
        num_attention_heads=layer.attn.num_heads,
        intermediate_size=layer.ffn.fc1.out_features,
        hidden_act='gelu',
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        initializer_range=0.02,
        layer_norm_eps=backbone.norm.eps,
        image_size=_square_or_pair(backbone.img_size),
        patch_size=_square_or_pair(backbone.patch_size),
        num_channels=backbone.patch_embed.projection.in_channels,
        qkv_bias=layer.attn.qkv.bias is not None,
        encoder_stride=backbone.patch_size[0],
        id2label={str(i): name for i, name in enumerate(classes)},
        label2id=label2id,
        dtype='float32',
    )


EVAL_CROP_RATIO = 0.875
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def hf_preprocessor_config(model: nn.Module) -> Dict[str, Any]:
    """``preprocessor_config.json`` for ``DeiTImageProcessor``: bicubic
    resize to int(size / 0.875), centre crop to the model's image size, and
    the model's normalisation (ImageNet mean/std in the zoo), as DeiT
    evaluates (256 -> 224, 438 -> 384).

    The resize is to a square, as every transformers version reads it
    (``DeiTImageProcessor`` of transformers 4 requires height and width); the
    official evaluation resizes the shorter side instead, which differs only
    for images that are not square.
    """
    crop = model.backbone.img_size
    resize = [int(side / EVAL_CROP_RATIO) for side in crop]
    mean, std = IMAGENET_MEAN, IMAGENET_STD
    preprocessor = getattr(model, 'data_preprocessor', None)
    if getattr(preprocessor, 'normalize', False):
        mean = [round(v / 255, 6) for v in preprocessor.mean.view(-1).tolist()]
        std = [round(v / 255, 6) for v in preprocessor.std.view(-1).tolist()]
    return dict(
        image_processor_type='DeiTImageProcessor',
        do_resize=True,
        size=dict(height=resize[0], width=resize[1]),
        resample=3,  # PIL bicubic
        do_center_crop=True,
        crop_size=dict(height=crop[0], width=crop[1]),
        do_rescale=True,
        rescale_factor=1 / 255,
        do_normalize=True,
        image_mean=list(mean),
        image_std=list(std),
    )


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


def _write_json(obj: Dict[str, Any], path: str) -> None:
    def write(tmp):
        with open(tmp, 'w') as f:
            json.dump(obj, f, indent=2, sort_keys=True)
            f.write('\n')
    write_durably(path, write)


def save_hf(model: nn.Module, out_dir: str,
            state: Optional[StateDict] = None,
            classes: Optional[Sequence[str]] = None) -> str:
    """Write a transformers model folder: ``config.json``,
    ``model.safetensors`` and ``preprocessor_config.json``.

    Args:
        model: the classifier (its structure sets the config).
        out_dir: the folder, created if needed.
        state: the weights in mmdeit names (default: the model's own).
        classes: class names for ``id2label``.

    ``AutoModelForImageClassification.from_pretrained(out_dir)`` (or the
    class named in the config) and ``AutoImageProcessor`` read it.
    """
    state = model.state_dict() if state is None else state
    config = hf_config(model, classes)
    architecture = hf_architecture(model)
    hf_state = mmdeit_to_hf(state, architecture.prefix, architecture.fc,
                            architecture.fc_dist)
    os.makedirs(out_dir, exist_ok=True)
    save_weights(hf_state, osp.join(out_dir, 'model.safetensors'))
    _write_json(config, osp.join(out_dir, 'config.json'))
    _write_json(hf_preprocessor_config(model),
                osp.join(out_dir, 'preprocessor_config.json'))
    return out_dir
