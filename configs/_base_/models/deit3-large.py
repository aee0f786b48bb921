# DeiT III-large as the official recipe pre-trains it on ImageNet-1k:
# stochastic depth 0.45 in every layer; otherwise as ./deit3-small.py.
_base_ = ['./deit3-small.py']

model = dict(backbone=dict(arch='deit3-large', drop_path_rate=0.45),
             head=dict(in_channels=1024))
