"""The ``preprocessor_config.json`` of an exported model, written from the
config's own test pipeline and data preprocessor, so that transformers'
image processor prepares an image as the model's evaluation does.

What a transformers ``DeiTImageProcessor`` can do, in its order: convert to
RGB, resize (to ``height`` x ``width``, or the shorter side to
``shortest_edge``), centre crop, rescale, normalise. Each transform of the
test pipeline is written as one of these steps; what has no counterpart is
reported in the notes :func:`hf_processor_config` returns (and the exporter
logs), never dropped silently.
"""
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

# Pillow's resampling filters, as transformers names them (PILImageResampling)
PIL_RESAMPLE = {'nearest': 0, 'lanczos': 1, 'bilinear': 2, 'bicubic': 3}
# DeiT's evaluation, for a model whose test pipeline is unknown
EVAL_CROP_RATIO = 0.875
IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)


class ProcessorConfig(NamedTuple):
    """``config``: the ``preprocessor_config.json`` content; ``notes``: what
    of the test pipeline transformers does differently, one sentence
    each (empty when it reproduces the evaluation)."""
    config: Dict[str, Any]
    notes: List[str]


def _pair(size) -> Tuple[int, int]:
    return (size, size) if isinstance(size, int) else tuple(size)


def deit_eval_pipeline(img_size: Tuple[int, int]) -> List[dict]:
    """DeiT's ImageNet evaluation at ``img_size`` (h, w): the shorter side
    to img_size / 0.875, bicubic, centre crop."""
    return [dict(type='LoadImageFromFile'),
            dict(type='ResizeEdge', scale=int(img_size[0] / EVAL_CROP_RATIO),
                 edge='short', interpolation='bicubic', backend='pillow'),
            dict(type='CenterCrop', crop_size=tuple(img_size)),
            dict(type='PackInputs')]


def hf_processor_config(pipeline: Optional[Sequence[dict]],
                        img_size: Tuple[int, int],
                        mean: Optional[Sequence[float]] = None,
                        std: Optional[Sequence[float]] = None,
                        to_rgb: bool = True) -> ProcessorConfig:
    """A ``DeiTImageProcessor`` config from a test pipeline.

    Args:
        pipeline: the transforms of the config's test pipeline (dicts with
            ``type``); None when it is unknown: DeiT's evaluation
            (:func:`deit_eval_pipeline`) is written, and a note says so.
        img_size: the model's input size (h, w).
        mean, std: the data preprocessor's normalisation on the 0-255 scale
            (None: no normalisation).
        to_rgb: whether the data preprocessor turns the loaded BGR image
            into RGB; transformers always feeds RGB.

    The resize step with ``shortest_edge`` needs transformers 5 (the
    ``DeiTImageProcessor`` of transformers 4 resizes to a given height and
    width only).
    """
    notes: List[str] = []
    if pipeline is None:
        pipeline = deit_eval_pipeline(img_size)
        notes.append('no test pipeline given: DeiT\'s ImageNet evaluation '
                     '(shorter side to size / 0.875, bicubic, centre crop) '
                     'written')
    config: Dict[str, Any] = dict(
        image_processor_type='DeiTImageProcessor',
        do_convert_rgb=True,
        do_resize=False,
        size=dict(height=img_size[0], width=img_size[1]),
        resample=PIL_RESAMPLE['bicubic'],
        do_center_crop=False,
        crop_size=dict(height=img_size[0], width=img_size[1]),
        do_rescale=True,
        rescale_factor=1 / 255,
        do_normalize=mean is not None,
        image_mean=[v / 255 for v in (mean or (0., ) * 3)],
        image_std=[v / 255 for v in (std or (255., ) * 3)],
    )
    for transform in pipeline:
        kind = transform.get('type')
        if kind == 'LoadImageFromFile':
            colour = transform.get('color_type', 'color')
            if colour not in ('color', 'color_ignore_orientation'):
                notes.append(f'LoadImageFromFile(color_type={colour!r}): '
                             'transformers reads every image as RGB')
        elif kind == 'ResizeEdge':
            _resize_edge(transform, config, notes)
        elif kind == 'Resize':
            _resize(transform, config, notes)
        elif kind == 'CenterCrop':
            height, width = _pair(transform['crop_size'])
            config.update(do_center_crop=True,
                          crop_size=dict(height=height, width=width))
        elif kind not in ('PackInputs', ):
            notes.append(f'{kind} of the test pipeline has no counterpart in '
                         'a transformers image processor: left out')
    if not to_rgb:
        notes.append('the model takes BGR images (data_preprocessor.'
                     'to_rgb=False) where transformers feeds RGB: the same '
                     'for grey images, the red and blue channels swapped '
                     'for colour ones')
    if not config['do_center_crop'] and not (
            config['do_resize'] and 'height' in config['size']):
        notes.append('the test pipeline neither crops nor resizes to a '
                     'fixed size: images reach the model at their own size, '
                     f'which must be {img_size[0]}x{img_size[1]}')
    return ProcessorConfig(config, notes)


def _resample(transform: dict, notes: List[str]) -> int:
    interpolation = transform.get('interpolation', 'bicubic')
    if interpolation not in PIL_RESAMPLE:
        notes.append(f'{transform["type"]}(interpolation='
                     f'{interpolation!r}) has no Pillow filter: bicubic '
                     'written')
        return PIL_RESAMPLE['bicubic']
    if transform.get('backend', 'cv2') == 'cv2' and \
            interpolation != 'nearest':
        notes.append(f'{transform["type"]} resizes with cv2 (no low-pass '
                     'filter when it shrinks); transformers filters as '
                     'Pillow does, so shrunk images differ slightly')
    return PIL_RESAMPLE[interpolation]


def _resize_edge(transform: dict, config: dict, notes: List[str]) -> None:
    edge = transform.get('edge', 'short')
    config['resample'] = _resample(transform, notes)
    if edge == 'short':
        config.update(do_resize=True,
                      size=dict(shortest_edge=int(transform['scale'])))
    else:
        notes.append(f'ResizeEdge(edge={edge!r}) has no counterpart in '
                     'transformers (only the shorter side or both sides): '
                     'left out')


def _resize(transform: dict, config: dict, notes: List[str]) -> None:
    """mmcv's ``Resize(scale=(w, h))`` without keeping the aspect ratio."""
    config['resample'] = _resample(transform, notes)
    if transform.get('keep_ratio', False) or 'scale' not in transform:
        notes.append('Resize with keep_ratio=True (or scale_factor) has no '
                     'counterpart in transformers: left out')
        return
    width, height = _pair(transform['scale'])
    config.update(do_resize=True, size=dict(height=height, width=width))
