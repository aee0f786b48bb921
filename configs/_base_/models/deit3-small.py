# DeiT III-small as the official recipe pre-trains it on ImageNet-1k:
# DeiT's classifier (./deit-tiny.py) with LayerScale (initial 1e-4) and a
# position embedding for the patches only (backbone DeiT3); stochastic depth
# 0.05 in every layer; binary cross-entropy on the Mixup/CutMix targets
# binarized (both mixed classes count as present), no label smoothing.
_base_ = ['./deit-tiny.py']

model = dict(
    backbone=dict(type='DeiT3', arch='deit3-small', drop_path_rate=0.05),
    head=dict(
        in_channels=384,
        loss=dict(_delete_=True, type='BinaryCrossEntropyLoss',
                  target_threshold=0.0)),
    # one of Mixup/CutMix per batch
    train_cfg=dict(_delete_=True, augments=_base_.model.train_cfg.augments),
)
