# The demo's student with hard distillation, in the data-efficient regime
# (10,000 images, 8 epochs): loss = 0.5 * CE(class head, labels)
# + 0.5 * CE(distillation head, teacher's arg-max), as in DeiT. The teacher
# is the one tools/demo.py trains; to run this config by hand, train the
# teacher config first and pass its checkpoint:
#   --cfg-options model.teacher.checkpoint=work_dirs/.../epoch_10.pth
_base_ = ['./deit-p7-w128_1xb128-8ep_fashion-mnist-10k.py']

model = dict(
    type='DistilledImageClassifier',
    backbone=dict(type='DistilledVisionTransformer'),
    head=dict(type='DeiTClsHead'),
    # the teacher's model: the config it was trained with
    teacher=dict(
        cfg='regnetx-w48_1xb128-10ep_fashion-mnist-10k',
        checkpoint='work_dirs/demo/seed0/teacher/epoch_10.pth'),
    distillation=dict(type='hard', alpha=0.5))

val_evaluator = dict(type='DistillationAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
custom_hooks = [dict(type='DistillationRecordHook')]
