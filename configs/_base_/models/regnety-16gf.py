# RegNetY-16GF, DeiT's teacher, as a classifier to train: 3024 features
# pooled into a linear head, trained with the students' Mixup/CutMix and
# label smoothing (as DeiT's model configs). Its released ImageNet-1k
# weights: ./in1k_weights.py.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='RegNet', arch='regnety-16gf'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=3024,
        loss=dict(type='CrossEntropyLoss', label_smoothing=0.1)),
    # One of Mixup/CutMix per batch; the smoothing is folded into the mixed
    # targets, which the loss then takes as they are.
    train_cfg=dict(
        augments=[
            dict(type='Mixup', alpha=0.8),
            dict(type='CutMix', alpha=1.0),
        ],
        label_smoothing=0.1),
)
