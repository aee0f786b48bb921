# DeiT-small fine-tuned on Oxford Flowers-102 at 224 px from the released
# ImageNet-1k weights (../../_base_/finetune_deit-small.py), with a new
# 102-class head. The recipe and where each value comes from:
# configs/_base_/schedules/sgd_bs768_1000e_transfer.py.
_base_ = [
    '../../_base_/finetune_deit-small.py',
    '../../_base_/datasets/flowers102_bs96_deit_224.py',
    '../../_base_/schedules/sgd_bs768_1000e_transfer.py',
]

model = dict(head=dict(num_classes=102))
# The teacher fine-tuned on Oxford Flowers-102
# (regnety-16gf_ft-8xb96_flowers102.py), from which the distilled students
# (deit-*-distilled_ft-*.py) learn
finetuned_teacher = dict(
    cfg='configs/finetune/flowers102/regnety-16gf_ft-8xb96_flowers102.py',
    checkpoint='work_dirs/regnety-16gf_ft-8xb96_flowers102/epoch_1000.pth')
