# The released distilled DeiT-base fine-tuned on iNaturalist 2019 with
# distillation from the teacher fine-tuned on it; otherwise as
# deit-small-distilled_ft-8xb96_inat2019.py.
_base_ = ['./deit-small-distilled_ft-8xb96_inat2019.py']

model = _base_.in1k_weights.deit_base_distilled
