# The DeiT schedule: AdamW, lr 5e-4 x total_batch / 512 (1e-3 at 1024),
# weight decay 0.05 except on norms, biases, tokens and the position
# embedding; 5 linear warm-up epochs from 1e-6, cosine to 1e-5, 300 epochs.
base_lr = 5e-4 * 1024 / 512
warmup_lr = 1e-6
min_lr = 1e-5
max_epochs = 300
warmup_epochs = 5

optim_wrapper = dict(
    optimizer=dict(
        type='AdamW', lr=base_lr, weight_decay=0.05, eps=1e-8,
        betas=(0.9, 0.999)),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            '.cls_token': dict(decay_mult=0.0),
            '.dist_token': dict(decay_mult=0.0),
            '.pos_embed': dict(decay_mult=0.0),
        }),
)

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=warmup_lr / base_lr,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - warmup_epochs,
        eta_min=min_lr,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs,
        convert_to_iter_based=True),
]

train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1)
val_cfg = dict()
test_cfg = dict()

# lr above is for a total batch of 1024; --auto-scale-lr rescales it.
auto_scale_lr = dict(base_batch_size=1024)
