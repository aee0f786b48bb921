# DeiT-base fine-tuned at 384 px for 30 epochs from the 224 px weights,
# 16 devices x 32 images (the official recipe: lr 5e-6 at batch 512,
# weight decay 1e-8, minimum lr 5e-6). Loading the 224 checkpoint resizes
# the patch-grid position embedding bicubically.
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

base_lr = 5e-6 * 512 / 512
optim_wrapper = dict(optimizer=dict(lr=base_lr, weight_decay=1e-8))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / base_lr, by_epoch=True,
         begin=0, end=5, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=25, eta_min=5e-6, by_epoch=True,
         begin=5, end=30, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=30)
auto_scale_lr = dict(base_batch_size=512)
