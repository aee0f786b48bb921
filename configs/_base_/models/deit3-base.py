# DeiT III-base as the official recipe pre-trains it on ImageNet-1k:
# LayerScale (initial 1e-4) and a position embedding for the patches only
# (backbone DeiT3); stochastic depth 0.2 in every layer; binary cross-entropy
# on the Mixup/CutMix targets binarized (both mixed classes count as
# present), no label smoothing.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='DeiT3',
        arch='deit3-base',
        img_size=224,
        patch_size=16,
        drop_path_rate=0.2),
    neck=None,
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=768,
        loss=dict(type='BinaryCrossEntropyLoss', target_threshold=0.0)),
    # one of Mixup/CutMix per batch
    train_cfg=dict(
        augments=[
            dict(type='Mixup', alpha=0.8),
            dict(type='CutMix', alpha=1.0),
        ]),
)
