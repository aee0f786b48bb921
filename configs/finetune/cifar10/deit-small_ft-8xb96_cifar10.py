# DeiT-small fine-tuned on CIFAR-10 at 224 px from the released ImageNet-1k
# weights: the backbone is loaded from the checkpoint, the 10-class head is
# new. The recipe and where each value comes from:
# configs/_base_/schedules/sgd_bs768_1000e_transfer.py.
_base_ = [
    '../../_base_/models/deit-small.py',
    '../../_base_/datasets/cifar10_bs96_deit_224.py',
    '../../_base_/schedules/sgd_bs768_1000e_transfer.py',
    '../../_base_/default_runtime.py',
    '../../_base_/models/in1k_weights.py',
]

model = dict(
    backbone=dict(
        _base_.in1k_weights.deit_small.backbone,
        # no stochastic depth on a small set (facebookresearch/deit #45)
        drop_path_rate=0.0),
    head=dict(num_classes=10))
# The teacher fine-tuned on CIFAR-10 (regnety-16gf_ft-8xb96_cifar10.py), from
# which the distilled students (deit-*-distilled_ft-*.py) learn
finetuned_teacher = dict(
    cfg='configs/finetune/cifar10/regnety-16gf_ft-8xb96_cifar10.py',
    checkpoint='work_dirs/regnety-16gf_ft-8xb96_cifar10/epoch_1000.pth')
