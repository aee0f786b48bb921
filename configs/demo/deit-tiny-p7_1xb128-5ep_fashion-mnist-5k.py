# The demo's student without distillation in its data-efficient regime: the
# first 5,000 training images (457-556 per class), 5 epochs, as the teacher.
_base_ = ['./deit-tiny-p7_1xb128_fashion-mnist.py']

train_images = 5000
max_epochs = 5
train_dataloader = dict(dataset=dict(indices=train_images))
# DeiT's warm-up + cosine over the 5 epochs, a tenth of them warming up
param_scheduler = [
    dict(type='WarmupCosineLR', T_max=max_epochs, eta_min=1e-5,
         warmup_length=0.1 * max_epochs, warmup_start_lr=1e-5, by_epoch=True,
         end=max_epochs, convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
# a progress line every 10 iterations: tools/demo.py shows them
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(interval=max_epochs))
