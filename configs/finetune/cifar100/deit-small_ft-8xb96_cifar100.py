# DeiT-small fine-tuned on CIFAR-100 at 224 px from the released ImageNet-1k
# weights: the backbone is loaded from the checkpoint, the 100-class head is
# new. The recipe and where each value comes from:
# configs/finetune/_base_/sgd_bs768_1000e_transfer.py.
_base_ = [
    '../../_base_/models/deit-small.py',
    '../../_base_/datasets/cifar100_bs96_deit_224.py',
    '../_base_/sgd_bs768_1000e_transfer.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        # no stochastic depth on a small set (facebookresearch/deit #45)
        drop_path_rate=0.0,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://dl.fbaipublicfiles.com/deit/'
            'deit_small_patch16_224-cd65a155.pth',
            prefix='backbone')),
    head=dict(num_classes=100))
