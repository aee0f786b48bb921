# The released distilled DeiT-base fine-tuned on Stanford Cars with
# distillation from the teacher fine-tuned on it; otherwise as
# deit-small-distilled_ft-8xb96_stanford-cars.py.
_base_ = ['./deit-small-distilled_ft-8xb96_stanford-cars.py']

model = _base_.in1k_weights.deit_base_distilled
