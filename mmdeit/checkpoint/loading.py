"""Load weights of any recognised layout into an mmdeit model."""
import math
from typing import List, NamedTuple, Optional, Tuple

from mmengine.logging import print_log
from torch import nn

from .errors import CheckpointError
from .layouts import StateDict, to_mmdeit
from .pos_embed import resize_pos_embed
from .reading import read_checkpoint, unwrap_state_dict


class LoadReport(NamedTuple):
    """What a load did: the detected layout, how many of the model's tensors
    it filled, and the keys that did not fit."""
    source: str
    layout: str
    missing: List[str]
    unexpected: List[str]
    mismatched: List[Tuple[str, tuple, tuple]]
    # LayerNorm eps the checkpoint states (a Hugging Face config.json, or the
    # meta of a converted one), now the model's; None when it states none.
    norm_eps: Optional[float] = None
    loaded: int = 0  # tensors of the model filled from the checkpoint
    total: int = 0  # tensors in the model's state dict
    # the model's head keys left as they were (new_head=True and a head of
    # another number of classes in the checkpoint)
    new_head: Tuple[str, ...] = ()
    # the class names the checkpoint's meta holds (meta['dataset_meta'],
    # which training writes), when there is one per output of the head
    classes: Optional[Tuple[str, ...]] = None


# A non-strict load that fills less than this share of the model is taken
# for the wrong file, not for a partial fit.
MIN_FIT = 0.5


def adapt_pos_embed(state: StateDict, model: nn.Module) -> StateDict:
    """Resize every position embedding of ``state`` whose patch grid differs
    from the model's (e.g. 224 weights into a 384 model), keeping the
    entries of the class and distillation tokens (where the model's
    ``num_pos_extra_tokens`` says it has them). The source grid is taken to
    be square."""
    state = dict(state)
    for name, module in model.named_modules():
        if not hasattr(module, 'patch_resolution'):
            continue
        key = f'{name}.pos_embed' if name else 'pos_embed'
        if key not in state:
            continue
        target = module.pos_embed
        source = state[key]
        if source.shape == target.shape or source.ndim != 3 or \
                source.shape[-1] != target.shape[-1]:
            # the same grid, or another width: nothing a resize can fix
            continue
        extra = module.num_pos_extra_tokens
        side = math.isqrt(max(source.shape[1] - extra, 0))
        if side * side != source.shape[1] - extra or \
                (side, side) == tuple(module.patch_resolution):
            # Not a square grid with this model's extra tokens (e.g. a
            # distilled checkpoint for a plain model), or the model's own
            # grid: leave it to the shape check, which names the key and
            # both shapes.
            continue
        state[key] = resize_pos_embed(source, (side, side),
                                      module.patch_resolution, extra,
                                      module.interpolate_mode)
        print_log(f'resized {key} from a {side}x{side} grid to '
                  f'{module.patch_resolution[0]}x{module.patch_resolution[1]}',
                  logger='current')
    return state


def compare(own: StateDict, state: StateDict, source: str = '',
            layout: str = 'mmdeit') -> LoadReport:
    """How ``state`` fits a model whose state dict is ``own``."""
    mismatched = [(k, tuple(v.shape), tuple(own[k].shape))
                  for k, v in state.items()
                  if k in own and v.shape != own[k].shape]
    return LoadReport(
        source, layout, missing=sorted(k for k in own if k not in state),
        unexpected=sorted(k for k in state if k not in own),
        mismatched=mismatched, loaded=len(fitting(own, state)),
        total=len(own))


def fitting(own: StateDict, state: StateDict) -> StateDict:
    """The tensors of ``state`` that ``own`` has, in the same shape."""
    return {k: v for k, v in state.items()
            if k in own and v.shape == own[k].shape}


def has_other_classes(report: LoadReport) -> bool:
    """Whether the checkpoint's head differs from the model's only in its
    first dimension, the number of classes."""
    return any(k.startswith('head.') and src[0] != dst[0]
               and src[1:] == dst[1:] for k, src, dst in report.mismatched)


def load_state_dict_checked(model: nn.Module, state: StateDict,
                            strict: bool = True, source: str = '',
                            layout: str = 'mmdeit',
                            new_head: bool = False,
                            name: Optional[str] = None) -> LoadReport:
    """Copy ``state`` into ``model`` after checking names and shapes.

    In strict mode any missing, unexpected or mismatched key raises a
    :class:`CheckpointError` that lists them; otherwise the weights that fit
    are loaded and the rest is logged, unless they fill less than
    :data:`MIN_FIT` of the model (then it is refused as the wrong file).

    A head (``head.*``) of another number of classes is refused in both
    modes, with a hint on fine-tuning, unless ``new_head``: then the
    checkpoint's head is left out and the model's keeps its values.
    ``name`` says what the model is in the messages (default: its class).
    """
    name = name or type(model).__name__
    own = model.state_dict()
    report = compare(own, state, source, layout)
    if has_other_classes(report):
        if not new_head:
            raise CheckpointError(
                f'{head_hint(source, layout, state, own)}\n'
                f'{describe(report)}')
        state = {k: v for k, v in state.items() if not k.startswith('head.')}
        head = tuple(sorted(k for k in own if k.startswith('head.')))
        report = compare(own, state, source, layout)
        report = report._replace(
            new_head=head, missing=[k for k in report.missing
                                    if k not in head])
    problems = describe(report)
    if problems and strict:
        raise CheckpointError(
            f'checkpoint {source} ({layout} layout) does not fit '
            f'{name}:\n{problems}')
    loaded = fitting(own, state)
    if len(loaded) < MIN_FIT * len(own):
        misfits = [k for k in state if k not in loaded]
        raise CheckpointError(
            f'checkpoint {source} ({layout} layout) fills only '
            f'{len(loaded)} of the {len(own)} tensors of '
            f'{name}; is it the right file (and prefix)? '
            f'First keys that do not fit: {_key_list(misfits, 8)}\n'
            f'{problems}')
    if problems:
        print_log(f'loaded {source} ({layout} layout) partially:\n'
                  f'{problems}', logger='current', level=30)
    model.load_state_dict(loaded, strict=False)
    left_out = f'; its head (another number of classes) left out, the ' \
        f'model\'s kept: {", ".join(report.new_head)}' \
        if report.new_head else ''
    print_log(f'loaded {len(loaded)} of the {len(own)} tensors of '
              f'{name} from {source} ({layout} '
              f'layout){left_out}', logger='current')
    return report


def head_hint(source: str, layout: str, state: StateDict,
              own: StateDict) -> str:
    """The error for a checkpoint whose head has another number of classes
    than the model's."""
    def classes(weights: StateDict) -> str:
        head = {k: v for k, v in weights.items() if k.startswith('head.')}
        counts = {v.shape[0] for v in head.values() if v.ndim == 2} or \
            {v.shape[0] for v in head.values() if v.ndim >= 1}
        return '/'.join(map(str, sorted(counts)))
    return (
        f'checkpoint {source} ({layout} layout) has a head of '
        f'{classes(state)} classes, the model one of {classes(own)}. To '
        'fine-tune from it with a new head, load its backbone alone: '
        "model.backbone.init_cfg=dict(type='Pretrained', "
        f"checkpoint='{source}', prefix='backbone') with "
        'model.head.num_classes=N (or mmdeit.get_model(NAME, '
        'pretrained=..., head=dict(num_classes=N))); to use its head, set '
        f'model.head.num_classes={classes(state)}.')


def _key_list(keys: List[str], limit: int = 12) -> str:
    shown = ', '.join(keys[:limit])
    more = len(keys) - limit
    return f'{shown} and {more} more' if more > 0 else shown


def describe(report: LoadReport) -> str:
    """The problems of a load, one kind per line (empty when none)."""
    lines = [f'  shape mismatch: {key}: checkpoint {src} vs model {dst}'
             for key, src, dst in report.mismatched[:12]]
    if len(report.mismatched) > 12:
        lines.append(f'  and {len(report.mismatched) - 12} more shape '
                     'mismatches')
    if report.missing:
        lines.append(f'  missing in checkpoint ({len(report.missing)}): '
                     f'{_key_list(report.missing)}')
    if report.unexpected:
        lines.append(f'  not used by the model ({len(report.unexpected)}): '
                     f'{_key_list(report.unexpected)}')
    return '\n'.join(lines)


def load_pretrained(model: nn.Module, source: str, strict: bool = True,
                    prefix: Optional[str] = None, map_location: str = 'cpu',
                    trusted: bool = False,
                    new_head: bool = False) -> LoadReport:
    """Load a checkpoint of any recognised layout into ``model``.

    Args:
        model: a classifier, or a part of one when ``prefix`` is given.
        source: path or URL.
        strict: raise on any key that does not fit; else load what fits
            and log the rest (see :func:`load_state_dict_checked`).
        prefix: take only the keys under this prefix of the classifier-level
            names (e.g. 'backbone' to load a backbone alone; a final dot is
            implied).
        map_location: device for the loaded tensors.
        trusted: allow full unpickling for a file you trust.
        new_head: leave the model's head as it is when the checkpoint's has
            another number of classes (fine-tuning), instead of refusing.
    """
    checkpoint = read_checkpoint(source, map_location, trusted)
    try:
        state, layout = to_mmdeit(unwrap_state_dict(checkpoint))
    except CheckpointError as error:
        raise CheckpointError(f'{source}: {error}') from error
    if prefix:
        prefix = prefix if prefix.endswith('.') else f'{prefix}.'
        under = {k[len(prefix):]: v for k, v in state.items()
                 if k.startswith(prefix)}
        if not under:
            raise CheckpointError(
                f'{source} ({layout} layout) has no weights under prefix '
                f'"{prefix}" (in mmdeit\'s names); its first keys: '
                f'{_key_list(list(state), 8)}')
        state = under
    state = adapt_pos_embed(state, model)
    report = load_state_dict_checked(model, state, strict, str(source),
                                     layout, new_head)
    meta = checkpoint.get('meta') or {}
    classes = (meta.get('dataset_meta') or {}).get('classes')
    head = getattr(model, 'head', None)
    if classes and not report.new_head and \
            len(classes) == getattr(head, 'num_classes', None):
        report = report._replace(classes=tuple(classes))
    norm_eps = meta.get('norm_eps')
    if norm_eps is None:
        return report
    use_norm_eps(model, norm_eps, str(source))
    return report._replace(norm_eps=norm_eps)


def use_norm_eps(model: nn.Module, eps: float, source: str = '') -> None:
    """Give every LayerNorm of ``model`` the eps its weights were made with,
    warning when that changes the model.

    Hugging Face configs default to eps 1e-12 where DeiT uses 1e-6; the
    weights' own eps makes the model compute what the source computes.
    """
    norms = [m for m in model.modules() if isinstance(m, nn.LayerNorm)]
    differing = sorted({m.eps for m in norms if m.eps != eps})
    if not differing:
        return
    print_log(
        f'{source} was made with LayerNorm eps {eps:g}; the model had '
        f'{", ".join(f"{e:g}" for e in differing)}. Using {eps:g} so that '
        'its outputs match the source (set backbone.norm_eps='
        f'{eps:g} in the config to build it so).',
        logger='current', level=30)
    for norm in norms:
        norm.eps = eps
