# DeiT-base with a distillation token, 16 devices x 64 images.
_base_ = ['./deit-base_pt-16xb64_in1k.py']

model = dict(
    backbone=dict(type='DistilledVisionTransformer'),
    head=dict(type='DeiTClsHead'))
