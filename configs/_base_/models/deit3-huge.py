# DeiT III-huge as the official recipe pre-trains it on ImageNet-1k: 14-px
# patches, stochastic depth 0.6 in every layer; otherwise as
# ./deit3-small.py.
_base_ = ['./deit3-small.py']

model = dict(
    backbone=dict(arch='deit3-huge', patch_size=14, drop_path_rate=0.6),
    head=dict(in_channels=1280))
