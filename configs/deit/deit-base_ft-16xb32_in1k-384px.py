# DeiT-base fine-tuned at 384 px for 30 epochs from the 224 px weights,
# 16 devices x 32 images (the official recipe: lr 5e-6 at batch 512,
# scaled with the total batch as in pre-training; weight decay 1e-8,
# minimum lr 5e-6, absolute). Loading the 224 checkpoint resizes the
# patch-grid position embedding bicubically.
_base_ = [
    '../_base_/models/deit-base.py',
    '../_base_/datasets/imagenet_bs32_deit_384.py',
    '../_base_/schedules/imagenet_bs1024_adamw_deit.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(img_size=384),
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://dl.fbaipublicfiles.com/deit/'
        'deit_base_patch16_224-b5f2ef4d.pth'))

# for a total batch of 512 (the schedule's auto_scale_lr)
base_lr = 5e-6
optim_wrapper = dict(optimizer=dict(lr=base_lr, weight_decay=1e-8))
# The same warm-up + cosine as pre-training, over 30 epochs; with the
# minimum equal to the base lr the cosine is flat.
param_scheduler = [
    dict(type='WarmupCosineLR', T_max=30, eta_min=5e-6, warmup_length=5,
         warmup_start_lr=1e-6, by_epoch=True, end=30,
         convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=30)
