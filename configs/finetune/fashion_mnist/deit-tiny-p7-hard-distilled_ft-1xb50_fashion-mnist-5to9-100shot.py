# Two-stage distillation, stage 2: the distilled student pre-trained on
# classes 0-4 (deit-tiny-p7-hard-distilled_1xb128_fashion-mnist-0to4.py)
# fine-tuned on the 100 images per class with hard distillation from the
# teacher fine-tuned on them (regnety-200mf_ft-...), whose 5 classes are
# the student's. tools/transfer_demo.py passes both checkpoints:
#   --cfg-options model.backbone.init_cfg.checkpoint=<student>/epoch_1.pth \
#       model.teacher.checkpoint=<teacher fine-tuning run>/epoch_10.pth
_base_ = ['./deit-tiny-p7_ft-1xb50_fashion-mnist-5to9-100shot.py',
          '../../_base_/distillation/deit_hard_regnety-16gf.py']

model = dict(
    _base_.distilled_deit.model,
    backbone=dict(
        type='DistilledVisionTransformer',
        init_cfg=dict(
            checkpoint='work_dirs/transfer/pretrain/distilled/epoch_1.pth')),
    teacher=dict(
        cfg='configs/finetune/fashion_mnist/'
        'regnety-200mf_ft-1xb50_fashion-mnist-5to9-100shot.py',
        checkpoint='work_dirs/transfer/seed0/teacher/epoch_10.pth'))
