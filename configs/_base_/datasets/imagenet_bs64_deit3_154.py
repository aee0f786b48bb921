# DeiT III's 3-Augment pre-training pipeline (imagenet_bs64_deit3_224.py) at
# 154 px, evaluated at 154 px (crop ratio 1.0): the 11 x 11 grid of 14 px
# patches that the official huge model sees of its 160 px images (its patch
# convolution leaves out their last 6 rows and columns).
_base_ = ['./imagenet_bs64_deit3_224.py']
img_size = 154

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size, interpolation='bicubic',
         backend='torch'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ThreeAugment'),
    dict(type='ColorJitter', brightness=0.3, contrast=0.3, saturation=0.3),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=img_size, edge='short',
         interpolation='bicubic', backend='torch'),
    dict(type='CenterCrop', crop_size=img_size),
    dict(type='PackInputs'),
]

train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
