# Stage 0 of the transfer experiment: the demo's student with a
# distillation token, pre-trained on the first five classes with hard
# distillation from the teacher pre-trained on them (as the released
# distilled DeiTs were distilled on ImageNet). tools/transfer_demo.py passes
# the teacher's checkpoint:
#   --cfg-options model.teacher.checkpoint=<teacher run>/epoch_1.pth
_base_ = ['./deit-tiny-p7_1xb128_fashion-mnist-0to4.py']

model = dict(
    type='DistilledImageClassifier',
    backbone=dict(type='DistilledVisionTransformer'),
    head=dict(type='DeiTClsHead'),
    teacher=dict(
        cfg='configs/finetune/fashion_mnist/'
        'regnety-200mf_1xb128_fashion-mnist-0to4.py',
        checkpoint='work_dirs/transfer/pretrain/teacher/epoch_1.pth'),
    distillation=dict(type='hard', alpha=0.5))

val_evaluator = dict(type='DistillationAccuracy', topk=(1, ))
test_evaluator = val_evaluator
custom_hooks = [dict(type='DistillationRecordHook')]
