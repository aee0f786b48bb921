"""``torch.compile`` for a classifier, as the ``compile`` config key asks."""
from typing import Optional, Union

from torch import nn

CompileOptions = Optional[Union[bool, dict]]


def compile_options(options: CompileOptions) -> Optional[dict]:
    """The keyword arguments of ``torch.compile`` that ``options`` (None,
    a bool or a dict, as mmengine's ``compile`` key) stands for; None for
    no compilation."""
    if options is None or options is False:
        return None
    if options is True:
        return {}
    if not isinstance(options, dict):
        raise TypeError('compile must be a bool or a dict of torch.compile '
                        f'arguments, got {options!r}')
    return dict(options)


def inference_compile_options(options: CompileOptions) -> Optional[dict]:
    """:func:`compile_options` with inductor's ``freezing`` on, for a model
    that only infers: under ``torch.no_grad`` its weights become constants
    of the graph, which inductor folds and packs ahead of time (oneDNN's
    blocked layouts, bias and GELU fused into the products). Left as given
    when the options name a ``mode`` (torch.compile takes no ``options``
    beside it) or set ``freezing`` themselves."""
    kwargs = compile_options(options)
    if kwargs is None or 'mode' in kwargs:
        return kwargs
    inductor = dict(kwargs.get('options') or {})
    inductor.setdefault('freezing', True)
    kwargs['options'] = inductor
    return kwargs


def compile_model(model: nn.Module, options: CompileOptions) -> nn.Module:
    """Compile ``model``'s backbone, neck, head and teacher in place.

    Only the tensor computation is compiled, not the whole ``train_step``
    (mmengine's choice): the data preprocessor draws Mixup/CutMix
    parameters with numpy and builds DataSamples, which would break the
    graph at every step. ``nn.Module.compile`` keeps parameter names, so
    checkpoints read and write as without compilation. Returns ``model``.
    """
    kwargs = compile_options(options)
    if kwargs is None:
        return model
    for name in ('backbone', 'neck', 'head'):
        module = getattr(model, name, None)
        if isinstance(module, nn.Module):
            module.compile(**kwargs)
    teacher = getattr(model, 'teacher', None)
    if isinstance(getattr(teacher, 'model', None), nn.Module):
        teacher.model.compile(**kwargs)
    return model
