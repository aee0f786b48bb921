"""Data preprocessor -> backbone -> optional neck -> head."""
from typing import List, Optional

import torch
from mmengine.model import BaseModel
from mmengine.registry import DefaultScope

from mmdeit.registry import MODELS
from mmdeit.structures import DataSample
from mmdeit.utils.config_errors import ConfigValueError


@MODELS.register_module()
class ImageClassifier(BaseModel):
    """An image classifier following mmengine's ``BaseModel``.

    Args:
        backbone: config of the backbone.
        neck: config of a neck, or None.
        head: config of the head, or None (then ``mode='tensor'`` returns
            features).
        train_cfg: ``dict(augments=..., probs=None, label_smoothing=0.)``
            places batch augments (Mixup, CutMix) in the data preprocessor,
            as MMPretrain configs do; ``label_smoothing`` is folded into the
            mixed targets (the loss smooths only class-index targets).
        data_preprocessor: config of the data preprocessor
            (``ClsDataPreprocessor`` by default).
        init_cfg: mmengine initialisation config.

    ``forward(inputs (N, 3, H, W) normalised, data_samples, mode)``:
    'tensor' -> logits (N, K) (a distilled head averages its two heads),
    'predict' -> list of DataSample with pred_score / pred_label,
    'loss' -> dict of losses.
    """

    def __init__(self,
                 backbone: dict,
                 neck: Optional[dict] = None,
                 head: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        data_preprocessor = dict(data_preprocessor or {})
        data_preprocessor.setdefault('type', 'ClsDataPreprocessor')
        if train_cfg is not None and 'augments' in train_cfg:
            data_preprocessor.setdefault('batch_augments', dict(
                type='RandomBatchAugment', augments=train_cfg['augments'],
                probs=train_cfg.get('probs'),
                label_smoothing=train_cfg.get('label_smoothing', 0.)))
        self._check_num_classes(head, data_preprocessor)
        super().__init__(
            init_cfg=init_cfg,
            data_preprocessor=MODELS.build(data_preprocessor))
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.head = MODELS.build(head) if head is not None else None
        self._check_widths()

    def _check_num_classes(self, head: Optional[dict],
                           data_preprocessor: dict) -> None:
        head_classes = (head or {}).get('num_classes')
        data_classes = data_preprocessor.get('num_classes')
        # each count on its own is checked where it is used
        counts = (head_classes, data_classes)
        if all(isinstance(n, int) and n > 0 for n in counts) \
                and head_classes != data_classes:
            raise ConfigValueError(
                'head.num_classes', head_classes, 'must equal '
                f'data_preprocessor.num_classes ({data_classes}): the labels '
                'are one-hot over those classes', type(self).__name__)

    def _check_widths(self) -> None:
        """The head reads what the backbone outputs (without a neck)."""
        width = getattr(self.backbone, 'embed_dims', None)
        expected = getattr(self.head, 'in_channels', None)
        if self.neck is None and None not in (width, expected) \
                and width != expected:
            raise ConfigValueError(
                'head.in_channels', expected, "must equal the backbone's "
                f'output width ({width})', type(self).__name__)

    def init_weights(self) -> None:
        """Random initialisation, or the weights of a ``Pretrained`` init_cfg
        read in any layout mmdeit recognises (official/timm, Hugging Face,
        MMPretrain, mmdeit), with the position embedding resized to fit."""
        cfg = self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            from mmdeit.checkpoint import load_pretrained
            load_pretrained(self, cfg['checkpoint'],
                            strict=cfg.get('strict', True),
                            prefix=cfg.get('prefix'))
            self._is_init = True
            return
        # An init_cfg of type 'Pretrained' on a part (the backbone of the
        # fine-tuning idiom) resolves in the default scope; in mmdeit's, it
        # is mmdeit's initializer, which reads every layout.
        with DefaultScope.overwrite_default_scope('mmdeit'):
            super().init_weights()

    def extract_feat(self, inputs: torch.Tensor) -> tuple:
        """(N, 3, H, W) -> backbone (or neck) outputs, a tuple."""
        feats = self.backbone(inputs)
        return self.neck(feats) if self.neck is not None else feats

    def forward(self, inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor'):
        if mode == 'tensor':
            feats = self.extract_feat(inputs)
            return self.head(feats) if self.head is not None else feats
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise ValueError(f'mode "{mode}" is not one of tensor, loss, predict')

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> dict:
        return self.head.loss(self.extract_feat(inputs), data_samples)

    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None
                ) -> List[DataSample]:
        return self.head.predict(self.extract_feat(inputs), data_samples)
