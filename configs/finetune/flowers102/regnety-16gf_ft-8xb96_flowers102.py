# Two-stage distillation, stage 1: DeiT's teacher, RegNetY-16GF, fine-tuned on
# Oxford Flowers-102 from its released ImageNet-1k weights with a new 102-class
# head, so that the distilled students can learn from it. The authors gave no
# teacher fine-tuning recipe; this is the students' (the same augmentation,
# Mixup/CutMix and schedule,
# configs/_base_/schedules/sgd_bs768_1000e_transfer.py).
_base_ = [
    '../../_base_/models/regnety-16gf.py',
    '../../_base_/datasets/flowers102_bs96_deit_224.py',
    '../../_base_/schedules/sgd_bs768_1000e_transfer.py',
    '../../_base_/default_runtime.py',
    '../../_base_/models/in1k_weights.py',
]

model = dict(_base_.in1k_weights.regnety_16gf, head=dict(num_classes=102))
