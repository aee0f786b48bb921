# Oxford Flowers-102 (https://www.robots.ox.ac.uk/~vgg/data/flowers/102/:
# 102flowers.tgz, imagelabels.mat and setid.mat, in data/flowers102/) for
# fine-tuning at 224 px: trained on train + val (2,040 images), tested on
# the 6,149 test images, as the DeiT paper counts them (Table 6). The
# pipelines are ImageNet's; RandomErasing is left out as the authors did
# for the other small sets, CIFAR-10 and Cars (facebookresearch/deit
# issue #45; they gave nothing for Flowers).
dataset_type = 'Flowers102'
data_root = 'data/flowers102'
num_classes = 102
img_size = 224

data_preprocessor = dict(
    num_classes=num_classes,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size, interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandAugment', policies='rand-m9-mstd0.5-inc1'),
    dict(type='PackInputs'),
]

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=int(img_size / 0.875), edge='short',
         interpolation='bicubic', backend='pillow'),
    dict(type='CenterCrop', crop_size=img_size),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=96,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='RepeatAugSampler', num_repeats=3, shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='trainval',
        pipeline=train_pipeline),
)

val_dataloader = dict(
    batch_size=96,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        test_mode=True,
        pipeline=test_pipeline),
)
# top-k accuracy, and for a distilled model per head, of its teacher and
# of their agreement (a one-headed model: as Accuracy)
val_evaluator = dict(type='DistillationAccuracy', topk=(1, 5))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
