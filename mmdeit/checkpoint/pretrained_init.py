"""``init_cfg=dict(type='Pretrained', ...)`` in mmdeit's scope: any layout
mmdeit reads, not only mmengine's.

mmengine's own ``PretrainedInit`` reads mmengine-layout files only and loads
with ``strict=False``: an official/timm file, a Hugging Face folder or an
MMPretrain file then fills nothing, with a warning. This initializer, in
mmdeit's ``WEIGHT_INITIALIZERS`` (a child of mmengine's), replaces it
wherever the default scope is 'mmdeit' (the runner of an mmdeit config, and
every mmdeit classifier's ``init_weights``), so MMPretrain's fine-tuning
idiom works with every layout::

    model = dict(
        backbone=dict(init_cfg=dict(
            type='Pretrained', prefix='backbone',
            checkpoint='deit_small_patch16_224-cd65a155.pth')),
        head=dict(num_classes=10))
"""
from typing import Optional

from torch import nn

from mmdeit.registry import WEIGHT_INITIALIZERS
from .errors import DownloadError
from .loading import load_pretrained


@WEIGHT_INITIALIZERS.register_module(name='Pretrained')
class PretrainedInit:
    """Load a module's weights from a checkpoint of any recognised layout.

    Args:
        checkpoint: path, URL or Hugging Face folder.
        prefix: the module's place in the classifier, in mmdeit's names
            (e.g. 'backbone'); None loads the classifier-level keys as they
            are.
        map_location: device for the loaded tensors.
        strict: refuse any key that does not fit. Off by default, as in
            mmengine: what fits is loaded and the rest logged; a file that
            fills almost nothing of the module is refused all the same.

    The position embedding is resized to the module's grid, the LayerNorm eps
    a Hugging Face config states is adopted, and a head of another number of
    classes (``prefix=None`` on a classifier) is refused with a hint.
    """

    def __init__(self, checkpoint: str, prefix: Optional[str] = None,
                 map_location: str = 'cpu', strict: bool = False):
        self.checkpoint = checkpoint
        self.prefix = prefix
        self.map_location = map_location
        self.strict = strict

    def __call__(self, module: nn.Module) -> None:
        try:
            load_pretrained(module, self.checkpoint, strict=self.strict,
                            prefix=self.prefix,
                            map_location=self.map_location)
        except DownloadError as error:
            # where such an init_cfg sits in the configs: on the classifier,
            # or on the part its prefix names
            part = f'{self.prefix.rstrip(".")}.' if self.prefix else ''
            raise error.naming(f'model.{part}init_cfg.checkpoint') from None
        if hasattr(module, '_params_init_info'):
            from mmengine.model.weight_init import update_init_info
            update_init_info(module, init_info=self._get_init_info())

    def _get_init_info(self) -> str:
        return f'{type(self).__name__}: load from {self.checkpoint}'
