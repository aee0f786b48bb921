# DeiT III-base fine-tuned at 384 px for 20 epochs from its 192 px pre-
# training (deit3-base-p16_pt-8xb256_in1k-192px.py, 800 epochs), as the
# official README_revenge command does: AdamW lr 1e-5, weight decay 0.1,
# RandAugment, Mixup/CutMix with label smoothing 0.1 and cross-entropy,
# stochastic depth 0.15; 16 GPUs x 32 images (512) officially, 32 per device
# here. Named as MMPretrain names this model. Loading the 192 px weights
# resizes the position embedding of the patch grid bicubically. Evaluated at
# 384 px, crop ratio 1.0.
_base_ = [
    '../_base_/deit3_finetune_in1k.py',
    '../_base_/datasets/imagenet_bs64_deit3-ft_384.py',
]

model = dict(
    backbone=dict(img_size=384, drop_path_rate=0.15),
    init_cfg=dict(
        checkpoint='work_dirs/deit3-base-p16_pt-8xb256_in1k-192px/'
        'epoch_800.pth'))
train_dataloader = dict(batch_size=32)
val_dataloader = dict(batch_size=32)
test_dataloader = val_dataloader
