# CIFAR-10 (python pickles, read into memory by the CIFAR10 dataset) for
# fine-tuning at 224 px: the 32-px images are upscaled, as in the DeiT
# paper's transfer experiments and the official datasets.py (timm's
# RandomResizedCrop to 224 in training; resize to 256 and centre-crop 224
# in evaluation). The augmentation is ImageNet's minus RandomErasing,
# which the authors removed for CIFAR-10 and Cars (facebookresearch/deit
# issue #45). Images come from https://www.cs.toronto.edu/~kriz/cifar.html
# (cifar-10-python.tar.gz), extracted into data/cifar10/.
dataset_type = 'CIFAR10'
data_root = 'data/cifar10'
num_classes = 10
img_size = 224

# ImageNet's mean and std: the pre-trained weights were trained with them
data_preprocessor = dict(
    num_classes=num_classes,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
)

# no LoadImageFromFile: the dataset holds the images (BGR arrays)
train_pipeline = [
    dict(type='RandomResizedCrop', scale=img_size, interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandAugment', policies='rand-m9-mstd0.5-inc1'),
    dict(type='PackInputs'),
]

test_pipeline = [
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
        split='train',
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
