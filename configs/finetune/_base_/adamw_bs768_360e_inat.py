# Fine-tuning a released DeiT on iNaturalist 2018/2019, as the authors gave
# it for the base model in facebookresearch/deit issue #105: AdamW, lr
# 7.5e-5 at batch 768 (the lr after the linear batch scaling, issue
# #141), weight decay 0.05, 360 epochs, cosine schedule, 5 warm-up epochs,
# label smoothing 0.1, Mixup 0.8 / CutMix 1.0, RandAugment
# rand-m9-mstd0.5-inc1, repeated augmentation, stochastic depth 0.1 (the
# model configs), random erasing 0.1 (the dataset configs). The warm-up
# start lr (1e-6), the minimum lr (1e-5), eps and the parameters without
# weight decay are the official main.py defaults (not restated in #105).
# The authors gave no DeiT-small values: DeiT-small uses the same.
max_epochs = 360

optim_wrapper = dict(
    constructor='ParamGroupsOptimWrapperConstructor',
    optimizer=dict(
        type='AdamW', lr=7.5e-5, weight_decay=0.05, eps=1e-8,
        betas=(0.9, 0.999)),
    paramwise_cfg=dict(
        flat_decay_mult=0.0,
        custom_keys={
            '.cls_token': dict(decay_mult=0.0),
            '.dist_token': dict(decay_mult=0.0),
            '.pos_embed': dict(decay_mult=0.0),
        }),
    # Layer-wise lr decay, which DeiT's recipe does not use, is an option:
    # paramwise_cfg=dict(layer_decay_rate=0.65, ...)
)

param_scheduler = [
    dict(
        type='WarmupCosineLR',
        T_max=max_epochs,
        eta_min=1e-5,
        warmup_length=5,
        warmup_start_lr=1e-6,
        by_epoch=True,
        end=max_epochs,
        convert_to_iter_based=True),
]

train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
val_cfg = dict()
test_cfg = dict()

auto_scale_lr = dict(base_batch_size=768)
