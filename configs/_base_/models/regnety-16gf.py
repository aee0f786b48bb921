# RegNetY-16GF, DeiT's teacher, as a classifier to train: 3024 features
# pooled into a linear head, trained with the students' Mixup/CutMix and
# label smoothing (DeiT's classifier and training settings, ./deit-tiny.py).
# Its released ImageNet-1k weights: ./in1k_weights.py.
_base_ = ['./deit-tiny.py']

model = dict(
    backbone=dict(_delete_=True, type='RegNet', arch='regnety-16gf'),
    neck=dict(_delete_=True, type='GlobalAveragePooling'),
    head=dict(in_channels=3024))
