# The released distilled DeiT-small fine-tuned on iNaturalist 2019, keeping the
# distillation signal ("it is better to keep the distillation signal during the
# fine-tuning", the authors in facebookresearch/deit issue #45). Two stages:
# the teacher is first fine-tuned on iNaturalist 2019
# (regnety-16gf_ft-8xb96_inat2019.py: its 1010 classes must be the student's),
# then this config distils from its last checkpoint:
#   python tools/train.py \
#       configs/finetune/inat2019/regnety-16gf_ft-8xb96_inat2019.py
#   python tools/train.py \
#       configs/finetune/inat2019/deit-small-distilled_ft-8xb96_inat2019.py
_base_ = ['./deit-small_ft-8xb96_inat2019.py']

model = dict(
    type='DistilledImageClassifier',
    backbone=dict(
        type='DistilledVisionTransformer',
        init_cfg=dict(checkpoint='https://dl.fbaipublicfiles.com/deit/'
                      'deit_small_distilled_patch16_224-649709d9.pth')),
    head=dict(type='DeiTClsHead'),
    teacher=dict(
        cfg='configs/finetune/inat2019/'
        'regnety-16gf_ft-8xb96_inat2019.py',
        checkpoint='work_dirs/regnety-16gf_ft-8xb96_inat2019/'
        'epoch_360.pth'),
    # hard distillation, alpha 0.5, as in pre-training
    distillation=dict(type='hard', alpha=0.5))

val_evaluator = dict(type='DistillationAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
custom_hooks = [dict(type='DistillationRecordHook')]
