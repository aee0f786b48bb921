# DeiT-small fine-tuned on iNaturalist 2018 at 224 px from the released
# ImageNet-1k weights: the backbone is loaded from the checkpoint, the
# 8142-class head is new. The recipe and where each value comes from:
# configs/finetune/_base_/adamw_bs768_360e_inat.py.
_base_ = [
    '../../_base_/models/deit-small.py',
    '../../_base_/datasets/inat2018_bs96_deit_224.py',
    '../_base_/adamw_bs768_360e_inat.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        # stochastic depth 0.1, as the authors fine-tuned on iNaturalist
        # (facebookresearch/deit issue #105)
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://dl.fbaipublicfiles.com/deit/'
            'deit_small_patch16_224-cd65a155.pth',
            prefix='backbone')),
    head=dict(num_classes=8142))
