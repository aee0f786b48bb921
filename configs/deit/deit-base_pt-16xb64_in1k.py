# DeiT-base, 300 epochs on ImageNet-1k, 16 devices x 64 images.
_base_ = [
    '../_base_/models/deit-base.py',
    '../_base_/datasets/imagenet_bs64_deit_224.py',
    '../_base_/schedules/imagenet_bs1024_adamw_deit.py',
    '../_base_/default_runtime.py',
]

train_dataloader = dict(batch_size=64)
