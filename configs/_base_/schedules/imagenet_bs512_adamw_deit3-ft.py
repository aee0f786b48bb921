# DeiT III's fine-tuning schedule (the official 20-epoch commands at 224 and
# 384 px): AdamW, lr 1e-5 at the official total batch of 512
# (scaled linearly at other batches; the official --unscale-lr keeps it fixed), weight decay 0.1 except on 1-D parameters, the
# class token and the position embedding, eps 1e-8; 5 linear warm-up epochs
# from 1e-6, then the cosine to the minimum lr 1e-5, which is the lr itself
# (flat), over 20 epochs.
max_epochs = 20

optim_wrapper = dict(
    optimizer=dict(
        type='AdamW', lr=1e-5, weight_decay=0.1, eps=1e-8,
        betas=(0.9, 0.999), fused=True),
    paramwise_cfg=dict(
        flat_decay_mult=0.0,
        custom_keys={
            '.cls_token': dict(decay_mult=0.0),
            '.pos_embed': dict(decay_mult=0.0),
        }),
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

train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1)
val_cfg = dict()
test_cfg = dict()

# The lr follows the total batch, as every mmdeit training config's does;
# auto_scale_lr.enable=False keeps it fixed (the official --unscale-lr).
auto_scale_lr = dict(base_batch_size=512, enable=True)
