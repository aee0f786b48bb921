# DeiT-small fine-tuned on Oxford Flowers-102 at 224 px from the released
# ImageNet-1k weights: the backbone is loaded from the checkpoint, the
# 102-class head is new. The recipe and where each value comes from:
# configs/_base_/schedules/sgd_bs768_1000e_transfer.py.
_base_ = [
    '../../_base_/models/deit-small.py',
    '../../_base_/datasets/flowers102_bs96_deit_224.py',
    '../../_base_/schedules/sgd_bs768_1000e_transfer.py',
    '../../_base_/default_runtime.py',
    '../../_base_/models/in1k_weights.py',
]

model = dict(
    backbone=dict(
        _base_.in1k_weights.deit_small.backbone,
        # no stochastic depth on a small set (facebookresearch/deit #45)
        drop_path_rate=0.0),
    head=dict(num_classes=102))
# The teacher fine-tuned on Oxford Flowers-102
# (regnety-16gf_ft-8xb96_flowers102.py), from which the distilled students
# (deit-*-distilled_ft-*.py) learn
finetuned_teacher = dict(
    cfg='configs/finetune/flowers102/regnety-16gf_ft-8xb96_flowers102.py',
    checkpoint='work_dirs/regnety-16gf_ft-8xb96_flowers102/epoch_1000.pth')
