# DeiT III-medium fine-tuned at 224 px for 20 epochs from its 192 px pre-
# training (deit3-medium-p16_pt-8xb256_in1k-192px.py, 800 epochs), with the
# official README_revenge command of DeiT III-base (none is given for this
# size), i.e. deit3-base-p16_64xb64_in1k.py at this width: AdamW lr 1e-5,
# weight decay 0.1, RandAugment, Mixup/CutMix with label smoothing 0.1 and
# cross-entropy, stochastic depth 0.2; 8 GPUs x 64 images (512) officially,
# 64 per device here. Named as MMPretrain names this model. Loading the 192
# px weights resizes the position embedding of the patch grid bicubically.
# Evaluated at 224 px, crop ratio 1.0.
_base_ = ['./deit3-base-p16_64xb64_in1k.py']

model = dict(
    backbone=dict(arch='deit3-medium'),
    head=dict(in_channels=512),
    init_cfg=dict(
        checkpoint='work_dirs/deit3-medium-p16_pt-8xb256_in1k-192px/'
        'epoch_800.pth'))
