# Two-stage distillation, stage 1: DeiT's teacher, RegNetY-16GF, fine-tuned on
# CIFAR-10 from its released ImageNet-1k weights with a new 10-class head, so
# that the distilled students can learn from it. The authors gave no teacher
# fine-tuning recipe; this is the students' (the same augmentation,
# Mixup/CutMix and schedule,
# configs/finetune/_base_/sgd_bs768_1000e_transfer.py).
_base_ = [
    '../../_base_/datasets/cifar10_bs96_deit_224.py',
    '../_base_/sgd_bs768_1000e_transfer.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='RegNet',
        arch='regnety-16gf',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://dl.fbaipublicfiles.com/deit/'
            'regnety_160-a5fe301d.pth',
            prefix='backbone')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=3024,
        loss=dict(type='CrossEntropyLoss', label_smoothing=0.1)),
    train_cfg=dict(
        augments=[
            dict(type='Mixup', alpha=0.8),
            dict(type='CutMix', alpha=1.0),
        ],
        label_smoothing=0.1),
)
