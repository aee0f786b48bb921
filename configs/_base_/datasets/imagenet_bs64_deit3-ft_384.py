# ImageNet-1k at 384 px as DeiT III fine-tunes (the official 20-epoch
# commands): RandomResizedCrop (bicubic, antialiased) and flip, RandAugment
# rand-m9-mstd0.5-inc1, no random erasing, no repeated augmentation.
# Evaluation at crop ratio 1.0: the short side resized to 384, the centre
# 384 x 384 cropped.
_base_ = ['./imagenet_bs64_deit_224.py']
img_size = 384

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size, interpolation='bicubic',
         backend='torch'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandAugment', policies='rand-m9-mstd0.5-inc1'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=img_size, edge='short',
         interpolation='bicubic', backend='torch'),
    dict(type='CenterCrop', crop_size=img_size),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
