# The released distilled DeiT-base fine-tuned on Oxford Flowers-102 with
# distillation from the teacher fine-tuned on it; otherwise as
# deit-small-distilled_ft-8xb96_flowers102.py.
_base_ = ['./deit-small-distilled_ft-8xb96_flowers102.py']

model = _base_.in1k_weights.deit_base_distilled
