# DeiT-small fine-tuned on iNaturalist 2019 at 224 px from the released
# ImageNet-1k weights (../../_base_/finetune_deit-small.py), with a new
# 1010-class head. The recipe and where each value comes from:
# configs/_base_/schedules/adamw_bs768_360e_inat.py.
_base_ = [
    '../../_base_/finetune_deit-small.py',
    '../../_base_/datasets/inat2019_bs96_deit_224.py',
    '../../_base_/schedules/adamw_bs768_360e_inat.py',
]

# stochastic depth 0.1, as the authors fine-tuned on iNaturalist
# (facebookresearch/deit issue #105)
model = dict(backbone=dict(drop_path_rate=0.1),
             head=dict(num_classes=1010))
# The teacher fine-tuned on iNaturalist 2019
# (regnety-16gf_ft-8xb96_inat2019.py), from which the distilled students
# (deit-*-distilled_ft-*.py) learn
finetuned_teacher = dict(
    cfg='configs/finetune/inat2019/regnety-16gf_ft-8xb96_inat2019.py',
    checkpoint='work_dirs/regnety-16gf_ft-8xb96_inat2019/epoch_360.pth')
