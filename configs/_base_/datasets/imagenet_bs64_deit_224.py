# ImageNet-1k with the DeiT augmentation: RandomResizedCrop, flip,
# RandAugment rand-m9-mstd0.5-inc1, RandomErasing 0.25; evaluation at
# 256 -> 224 (crop ratio 0.875), bicubic; both resizes antialiased as
# Pillow's (the official pipeline's).
dataset_type = 'ImageNet'
data_root = 'data/imagenet'
img_size = 224

data_preprocessor = dict(
    num_classes=1000,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
)

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

# The crops all have one size: a worker stacks its batch into one tensor,
# sent to the main process as one shared-memory block rather than one per
# image (about 0.8 ms less CPU per image, docs/benchmarks.md).
train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    collate_fn=dict(type='default_collate'),
    sampler=dict(type='RepeatAugSampler', num_repeats=3, shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline),
)

val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    collate_fn=dict(type='default_collate'),
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        pipeline=test_pipeline),
)
# top-k accuracy, and for a distilled model per head, of its teacher and
# of their agreement (a one-headed model: as Accuracy)
val_evaluator = dict(type='DistillationAccuracy', topk=(1, 5))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
