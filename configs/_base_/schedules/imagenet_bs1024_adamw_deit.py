# The DeiT schedule (official main.py defaults): AdamW, lr 5e-4 per 512
# images (1e-3 at the configs' total batch of 1024), weight decay 0.05, eps
# 1e-8; no weight decay on 1-D parameters (norms, biases), the
# class/distillation tokens and the position embedding; 5 linear warm-up
# epochs from 1e-6, then a cosine to 1e-5 over 300 epochs, both updated
# every iteration.
# The lr is stated for a total batch of 512 and follows the run's total
# batch (auto_scale_lr at the end of this file). The lr curve and the loops:
# ./warmup_cosine_deit.py.
_base_ = ['./warmup_cosine_deit.py']

base_lr = 5e-4

optim_wrapper = dict(
    # one param group per distinct setting (here two: with and without
    # weight decay) where mmengine's default makes one per parameter
    constructor='ParamGroupsOptimWrapperConstructor',
    optimizer=dict(
        type='AdamW', lr=base_lr, weight_decay=0.05, eps=1e-8,
        betas=(0.9, 0.999),
        # one kernel per param group, on the CPU as on CUDA, instead of
        # torch's default loop over the parameters (docs/benchmarks.md)
        fused=True),
    paramwise_cfg=dict(
        # 1-D parameters: every LayerNorm weight and bias, every bias.
        flat_decay_mult=0.0,
        # DeiT's no_weight_decay(); mmengine matches these as substrings of
        # '<module path>.<name>', e.g. 'backbone.cls_token'.
        custom_keys={
            '.cls_token': dict(decay_mult=0.0),
            '.dist_token': dict(decay_mult=0.0),
            '.pos_embed': dict(decay_mult=0.0),
        }),
    # DeiT trains without clipping; to clip, e.g. clip_grad=dict(max_norm=5.0)
)

# As the official main.py always does: lr = base_lr x total batch / 512,
# the total batch being processes x train_dataloader.batch_size (x
# optim_wrapper.accumulative_counts), e.g. 1e-3 on 4 x 256 and 2.5e-4 on
# one process of 256. The warm-up start and the final lr are absolute and
# not scaled. The runner logs the lr it trains at; to train at base_lr as
# it is, set auto_scale_lr = dict(enable=False).
auto_scale_lr = dict(base_batch_size=512, enable=True)
