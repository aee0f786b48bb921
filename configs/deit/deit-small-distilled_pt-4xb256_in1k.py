# DeiT-small with a distillation token, 4 devices x 256 images.
_base_ = ['./deit-small_pt-4xb256_in1k.py']

# Hard distillation from RegNetY-16GF (the paper's teacher, 82.9 top-1):
# loss = 0.5 * CE(class head, mixed smoothed targets)
#      + 0.5 * CE(distillation head, teacher's arg-max). The teacher is
# frozen, sees the same mixed batch, and its weights stay out of the
# student's checkpoints (DistillationRecordHook records where it came
# from). docs/distillation.md explains the options.
model = dict(
    type='DistilledImageClassifier',
    backbone=dict(type='DistilledVisionTransformer'),
    head=dict(type='DeiTClsHead'),
    teacher=dict(
        cfg='regnety-16gf_in1k',
        checkpoint='https://dl.fbaipublicfiles.com/deit/'
        'regnety_160-a5fe301d.pth'),
    distillation=dict(type='hard', alpha=0.5))

# Accuracy of both heads averaged, of each head, of the teacher, and the
# student-teacher agreement.
val_evaluator = dict(type='DistillationAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
custom_hooks = [dict(type='DistillationRecordHook')]
