# DeiT III's pre-training schedule (the official README_revenge commands):
# LAMB as apex's FusedLAMB computes it with the official settings (eps 1e-8,
# betas (0.9, 0.999), the global gradient norm clipped to 1), lr 3e-3
# (ViT-S: 4e-3) at the official total batch of 2048 (scaled linearly at
# other batches; the official --unscale-lr keeps it fixed), weight decay
# 0.05 except on 1-D parameters (norms, biases, LayerScale), the class
# token and the position embedding, which LAMB then steps without trust
# ratio; 5 linear warm-up epochs from 1e-6, then a cosine to 1e-5 over 800
# epochs, both updated every iteration (./warmup_cosine_deit.py's curve).
_base_ = ['./warmup_cosine_deit.py']

max_epochs = 800

optim_wrapper = dict(
    optimizer=dict(
        type='Lamb', lr=3e-3, weight_decay=0.05, eps=1e-8,
        betas=(0.9, 0.999), max_grad_norm=1.0),
    paramwise_cfg=dict(
        flat_decay_mult=0.0,
        custom_keys={
            '.cls_token': dict(decay_mult=0.0),
            '.pos_embed': dict(decay_mult=0.0),
        }),
)

param_scheduler = [
    dict(_base_.param_scheduler[0], T_max=max_epochs, end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs)

# The lr follows the total batch, as every mmdeit training config's does;
# auto_scale_lr.enable=False keeps it fixed (the official --unscale-lr).
auto_scale_lr = dict(base_batch_size=2048, enable=True)
