# DeiT III-medium, pre-trained as DeiT III-base (the official README gives no
# command for this size; MMPretrain also takes the base values): stochastic
# depth 0.2 in every layer; otherwise as ./deit3-small.py.
_base_ = ['./deit3-small.py']

model = dict(backbone=dict(arch='deit3-medium', drop_path_rate=0.2),
             head=dict(in_channels=512))
