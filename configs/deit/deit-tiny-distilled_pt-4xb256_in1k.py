# DeiT-tiny with a distillation token, 4 devices x 256 images, distilled from
# RegNetY-16GF (../_base_/distillation/deit_hard_regnety-16gf.py).
_base_ = ['./deit-tiny_pt-4xb256_in1k.py',
          '../_base_/distillation/deit_hard_regnety-16gf.py']

model = _base_.distilled_deit.model
