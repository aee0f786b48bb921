# DeiT III-large pre-trained for 800 epochs on ImageNet-1k at 192 px, as the
# official README_revenge command does before the 20 epochs at 224 px:
# 3-Augment, binary cross-entropy, LAMB at lr 3e-3, stochastic depth as in
# _base_/models/deit3-large.py; 32 GPUs x 64 images (2048), here too. The lr is
# the official one at that total batch and follows the batch linearly elsewhere
# (auto_scale_lr; enable=False keeps it fixed, as the official --unscale-lr).
# Evaluated at 192 px, crop ratio 1.0.
_base_ = [
    '../_base_/models/deit3-large.py',
    '../_base_/datasets/imagenet_bs64_deit3_192.py',
    '../_base_/schedules/imagenet_bs2048_lamb_deit3.py',
    '../_base_/default_runtime.py',
]

model = dict(backbone=dict(img_size=192))
train_dataloader = dict(batch_size=64)
val_dataloader = dict(batch_size=64)
test_dataloader = val_dataloader
