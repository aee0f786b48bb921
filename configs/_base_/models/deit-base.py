# DeiT-base: DeiT-tiny's model (./deit-tiny.py) at this width.
_base_ = ['./deit-tiny.py']

model = dict(backbone=dict(arch='deit-base'), head=dict(in_channels=768))
