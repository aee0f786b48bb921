# DeiT III-small fine-tuned at 384 px for 20 epochs from the 224 px model
# (the official deit_3_small_224_1k.pth), as the official README_revenge
# command does: AdamW lr 1e-5, weight decay 0.1, RandAugment, Mixup/CutMix
# with label smoothing 0.1 and cross-entropy, no stochastic depth; 8 GPUs x
# 64 images (512) officially, 64 per device here (MMPretrain's name). Loading
# the 224 px weights resizes the position embedding of the patch grid
# bicubically. Evaluated at 384 px, crop ratio 1.0.
_base_ = [
    '../_base_/deit3_finetune_in1k.py',
    '../_base_/datasets/imagenet_bs64_deit3-ft_384.py',
]

model = dict(
    backbone=dict(arch='deit3-small', img_size=384, drop_path_rate=0.0),
    head=dict(in_channels=384),
    init_cfg=dict(checkpoint='https://dl.fbaipublicfiles.com/deit/'
                  'deit_3_small_224_1k.pth'))
