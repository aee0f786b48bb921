# DeiT III-small, 800 epochs on ImageNet-1k at 224 px, trained from scratch as
# the official README_revenge command trains it: 3-Augment, binary cross-
# entropy, LAMB at lr 4e-3, stochastic depth 0.05. Named as MMPretrain names
# this model; the official total batch is 2048 (8 GPUs x 256), here 64 images
# per device, so 32 devices give it. The lr is the official one at that total
# batch and follows the batch linearly elsewhere (auto_scale_lr; enable=False
# keeps it fixed, as the official --unscale-lr). Evaluated at 224 px, crop
# ratio 1.0.
_base_ = [
    '../_base_/models/deit3-small.py',
    '../_base_/datasets/imagenet_bs64_deit3_224.py',
    '../_base_/schedules/imagenet_bs2048_lamb_deit3.py',
    '../_base_/default_runtime.py',
]

optim_wrapper = dict(optimizer=dict(lr=4e-3))
