# DeiT-tiny, 300 epochs on ImageNet-1k, 4 devices x 256 images.
_base_ = [
    '../_base_/models/deit-tiny.py',
    '../_base_/datasets/imagenet_bs64_deit_224.py',
    '../_base_/schedules/imagenet_bs1024_adamw_deit.py',
    '../_base_/default_runtime.py',
]

train_dataloader = dict(batch_size=256)
val_dataloader = dict(batch_size=256)
test_dataloader = val_dataloader
