# DeiT III-base as the official recipe pre-trains it on ImageNet-1k:
# stochastic depth 0.2 in every layer; otherwise as ./deit3-small.py.
_base_ = ['./deit3-small.py']

model = dict(backbone=dict(arch='deit3-base', drop_path_rate=0.2),
             head=dict(in_channels=768))
