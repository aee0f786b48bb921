# DeiT-small fine-tuned on CIFAR-10 at 224 px from the released ImageNet-1k
# weights (../../_base_/finetune_deit-small.py), with a new 10-class head.
# The recipe and where each value comes from:
# configs/_base_/schedules/sgd_bs768_1000e_transfer.py.
_base_ = [
    '../../_base_/finetune_deit-small.py',
    '../../_base_/datasets/cifar10_bs96_deit_224.py',
    '../../_base_/schedules/sgd_bs768_1000e_transfer.py',
]

model = dict(head=dict(num_classes=10))
# The teacher fine-tuned on CIFAR-10 (regnety-16gf_ft-8xb96_cifar10.py), from
# which the distilled students (deit-*-distilled_ft-*.py) learn
finetuned_teacher = dict(
    cfg='configs/finetune/cifar10/regnety-16gf_ft-8xb96_cifar10.py',
    checkpoint='work_dirs/regnety-16gf_ft-8xb96_cifar10/epoch_1000.pth')
