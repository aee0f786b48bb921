# The demo's schedule (configs/demo, configs/finetune/fashion_mnist): DeiT's
# AdamW and warm-up + cosine (./imagenet_bs1024_adamw_deit.py) over a few
# epochs, the lr stated for a batch of 128. A config sets its length in
# train_cfg, and the cosine spans it (no T_max: the runner's end); the
# warm-up, a tenth of the one epoch here, is restated with the length, e.g.
#   train_cfg = dict(max_epochs=8, val_interval=8)
#   param_scheduler = [dict(_base_.param_scheduler[0], warmup_length=0.8)]
_base_ = ['./imagenet_bs1024_adamw_deit.py']

param_scheduler = [
    dict(type='WarmupCosineLR', eta_min=1e-5, warmup_length=0.1,
         warmup_start_lr=1e-5, by_epoch=True, convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=1, val_interval=1)
max_epochs = None  # the ImageNet schedule's variable: the length is above
auto_scale_lr = dict(base_batch_size=128)

