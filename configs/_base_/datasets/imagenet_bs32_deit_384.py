# The DeiT pipelines at 384 px: evaluation resizes to int(384 / 0.875) = 438
# and crops 384.
_base_ = ['./imagenet_bs64_deit_224.py']
img_size = 384

train_pipeline = [
    dict(type='LoadImageFromFile'),
    # Antialiased as the official pipeline (Pillow's filter), with torch's
    # kernel: within a quarter of a grey level of Pillow, several times
    # faster (docs/benchmarks.md).
    dict(type='RandomResizedCrop', scale=img_size, interpolation='bicubic',
         backend='torch'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandAugment', policies='rand-m9-mstd0.5-inc1'),
    dict(type='RandomErasing', erase_prob=0.25, mode='pixel'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    # Antialiased as the official evaluation (Pillow), with torch's kernel.
    dict(type='ResizeEdge', scale=int(img_size / 0.875), edge='short',
         interpolation='bicubic', backend='torch'),
    dict(type='CenterCrop', crop_size=img_size),
    dict(type='PackInputs'),
]

train_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=32, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
