# The demo's student without distillation: DeiT-tiny's shape (192 dims,
# 3 heads, MLP ratio 4) at Fashion-MNIST's 28 px, with 7-px patches (a 4x4
# grid, 16 tokens + the class token) and 4 layers instead of 12, so that
# the teacher and three students fit the 15-minute demo on 2 CPU cores.
_base_ = [
    '../_base_/models/deit-tiny.py',
    '../_base_/datasets/fashion_mnist_bs128.py',
    '../_base_/schedules/imagenet_bs1024_adamw_deit.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=192, num_layers=4, num_heads=3,
                  feedforward_channels=768),
        img_size=28,
        patch_size=7,
        drop_path_rate=0.0),
    head=dict(num_classes=10),
    # no Mixup/CutMix (see the dataset config); the head's loss keeps the
    # label smoothing of 0.1
    train_cfg=None)

# DeiT's AdamW and warm-up + cosine, shrunk to the demo; DeiT's lr rule
# (5e-4 per 512 images) would give 1.25e-4 at this batch, too slow for one
# epoch: small ViTs trained briefly take a larger lr (2e-3 was worse here:
# 73.8 % against 74.4 % without distillation).
max_epochs = 1
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='WarmupCosineLR', T_max=max_epochs, eta_min=1e-5,
         warmup_length=0.1, warmup_start_lr=1e-5, by_epoch=True,
         end=max_epochs, convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
auto_scale_lr = dict(base_batch_size=128)

default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
