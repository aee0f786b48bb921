# DeiT-base fine-tuned on iNaturalist 2018 at 224 px from the released
# ImageNet-1k weights; otherwise as deit-small_ft-8xb96_inat2018.py.
_base_ = ['./deit-small_ft-8xb96_inat2018.py']

model = _base_.in1k_weights.deit_base
