# DeiT-small fine-tuned on Stanford Cars at 224 px from the released
# ImageNet-1k weights (../../_base_/finetune_deit-small.py), with a new
# 196-class head. The recipe and where each value comes from:
# configs/_base_/schedules/sgd_bs768_1000e_transfer.py.
_base_ = [
    '../../_base_/finetune_deit-small.py',
    '../../_base_/datasets/stanford_cars_bs96_deit_224.py',
    '../../_base_/schedules/sgd_bs768_1000e_transfer.py',
]

model = dict(head=dict(num_classes=196))
# The teacher fine-tuned on Stanford Cars
# (regnety-16gf_ft-8xb96_stanford-cars.py), from which the distilled students
# (deit-*-distilled_ft-*.py) learn
finetuned_teacher = dict(
    cfg='configs/finetune/stanford_cars/'
    'regnety-16gf_ft-8xb96_stanford-cars.py',
    checkpoint='work_dirs/regnety-16gf_ft-8xb96_stanford-cars/epoch_1000.pth')
