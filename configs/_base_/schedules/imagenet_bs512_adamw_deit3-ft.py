# DeiT III's fine-tuning schedule (the official 20-epoch commands at 224 and
# 384 px): the pre-training's (./imagenet_bs2048_lamb_deit3.py: no weight
# decay on 1-D parameters, the class token and the position embedding; 5
# linear warm-up epochs from 1e-6, then the cosine to the minimum lr 1e-5)
# with AdamW, lr 1e-5 at the official total batch of 512 (scaled linearly at
# other batches; the official --unscale-lr keeps it fixed), weight decay
# 0.1, eps 1e-8, over 20 epochs. The minimum lr is the lr itself: after the
# warm-up the lr stays flat.
_base_ = ['./imagenet_bs2048_lamb_deit3.py']

max_epochs = 20

optim_wrapper = dict(optimizer=dict(
    _delete_=True, type='AdamW', lr=1e-5, weight_decay=0.1, eps=1e-8,
    betas=(0.9, 0.999), fused=True))

param_scheduler = [
    dict(_base_.param_scheduler[0], T_max=max_epochs, end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs)

# The lr follows the total batch, as every mmdeit training config's does;
# auto_scale_lr.enable=False keeps it fixed (the official --unscale-lr).
auto_scale_lr = dict(base_batch_size=512)
