# The released distilled DeiT-small fine-tuned on Stanford Cars, keeping the
# distillation signal ("it is better to keep the distillation signal during the
# fine-tuning", the authors in facebookresearch/deit issue #45): hard
# distillation (alpha 0.5, as in pre-training) from RegNetY-16GF fine-tuned on
# Stanford Cars first (regnety-16gf_ft-8xb96_stanford-cars.py: its classes must
# be the student's), read from its last checkpoint:
#   python tools/train.py \
#       configs/finetune/stanford_cars/regnety-16gf_ft-8xb96_stanford-cars.py
#   python tools/train.py \
#       configs/finetune/stanford_cars/deit-small-distilled_ft-8xb96_stanford-cars.py
_base_ = ['./deit-small_ft-8xb96_stanford-cars.py',
          '../../_base_/distillation/deit_hard_regnety-16gf.py']

model = dict(_base_.distilled_deit.model, teacher=_base_.finetuned_teacher,
             **_base_.in1k_weights.deit_small_distilled)
