# DeiT-base distilled fine-tuned at 384 px from the 224 px distilled weights,
# 16 devices x 32 images.
_base_ = ['./deit-base_ft-16xb32_in1k-384px.py']

model = dict(
    backbone=dict(type='DistilledVisionTransformer'),
    head=dict(type='DeiTClsHead'),
    init_cfg=dict(
        checkpoint='https://dl.fbaipublicfiles.com/deit/'
        'deit_base_distilled_patch16_224-df68dfff.pth'))
