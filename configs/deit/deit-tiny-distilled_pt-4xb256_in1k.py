# DeiT-tiny with a distillation token, 4 devices x 256 images.
_base_ = ['./deit-tiny_pt-4xb256_in1k.py']

model = dict(
    backbone=dict(type='DistilledVisionTransformer'),
    head=dict(type='DeiTClsHead'))
