# DeiT-base fine-tuned on Oxford Flowers-102 at 224 px from the released
# ImageNet-1k weights; otherwise as deit-small_ft-8xb96_flowers102.py.
_base_ = ['./deit-small_ft-8xb96_flowers102.py']

model = dict(
    backbone=dict(
        arch='deit-base',
        init_cfg=dict(checkpoint='https://dl.fbaipublicfiles.com/deit/'
                      'deit_base_patch16_224-b5f2ef4d.pth')),
    head=dict(in_channels=768))
