# DeiT-base with a distillation token, 16 devices x 64 images, distilled from
# RegNetY-16GF (../_base_/distillation/deit_hard_regnety-16gf.py).
_base_ = ['./deit-base_pt-16xb64_in1k.py',
          '../_base_/distillation/deit_hard_regnety-16gf.py']

model = _base_.distilled_deit.model
