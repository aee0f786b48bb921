default_scope = 'mmdeit'
# mmengine's Runner, plus exact resumption (even from the middle of an
# epoch), atomic checkpoints, safe checkpoint loading and a NaN/inf loss
# check before each update (optim_wrapper.non_finite_loss='raise'|'skip').
# See docs/reliability.md.
runner_type = 'ReliableRunner'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=100),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # CheckpointHook, ordered so that a kill never leaves the latest
    # checkpoint (or the last_checkpoint pointer) unreadable
    checkpoint=dict(type='AtomicCheckpointHook', interval=1, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # unreadable images are replaced by other samples; stop when more than
    # this share of an epoch's samples were
    bad_images=dict(type='BadImageHook', max_bad_fraction=0.01),
)

# Model EMA, as the official DeiT keeps it (decay 0.99996 per iteration; the
# paper finds no gain from it), is off. mmengine's momentum is 1 - decay:
# custom_hooks = [dict(type='EMAHook', momentum=4e-5, priority='ABOVE_NORMAL')]
# With it, validation and saved 'state_dict' use the averaged weights (the
# raw ones are kept under 'ema_state_dict').

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # Without CUDA, tools/train.py and tools/test.py switch to gloo.
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
# True: read checkpoints that need full unpickling (only files you trust;
# tools/train.py --trust-checkpoint)
trust_checkpoint = False
# Each rank draws its own Mixup/CutMix parameters, as the official code does.
randomness = dict(seed=None, deterministic=False, diff_rank_seed=True)
