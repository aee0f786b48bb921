# Fine-tuning a released DeiT on iNaturalist 2018/2019, as the authors gave
# it for the base model in facebookresearch/deit issue #105: AdamW, lr
# 7.5e-5 at batch 768 (the lr after the linear batch scaling, issue
# #141), weight decay 0.05, 360 epochs, cosine schedule, 5 warm-up epochs,
# label smoothing 0.1, Mixup 0.8 / CutMix 1.0, RandAugment
# rand-m9-mstd0.5-inc1, repeated augmentation, stochastic depth 0.1 (the
# model configs), random erasing 0.1 (the dataset configs). The warm-up
# start lr (1e-6), the minimum lr (1e-5), eps and the parameters without
# weight decay are the official main.py defaults (not restated in #105):
# the ImageNet schedule's. The authors gave no DeiT-small values:
# DeiT-small uses the same.
_base_ = ['./imagenet_bs1024_adamw_deit.py']

max_epochs = 360
optim_wrapper = dict(optimizer=dict(lr=7.5e-5))
# Layer-wise lr decay, which DeiT's recipe does not use, is an option:
# optim_wrapper = dict(paramwise_cfg=dict(layer_decay_rate=0.65, ...))
param_scheduler = [
    dict(_base_.param_scheduler[0], T_max=max_epochs, end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
# the lr above is for 8 devices x 96 images, and follows the run's total
# batch (ImageNet schedule's auto_scale_lr)
auto_scale_lr = dict(base_batch_size=768)
