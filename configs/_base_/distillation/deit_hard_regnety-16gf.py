# What a DeiT config with a distillation token adds to its plain variant:
# the model under one name, for the configs that inherit this file to take
# (`model = _base_.distilled_deit.model`: mmengine refuses a key, such as
# `model`, that two base files define), and the hook that records the
# teacher (`custom_hooks`). The dataset configs evaluate every model per
# head (DistillationAccuracy).
#
# Hard distillation from RegNetY-16GF (the paper's teacher, 82.9 top-1):
# loss = 0.5 * CE(class head, mixed smoothed targets)
#      + 0.5 * CE(distillation head, teacher's arg-max). The teacher is
# frozen, sees the same mixed batch, and its weights stay out of the
# student's checkpoints (DistillationRecordHook records where it came
# from). docs/distillation.md explains the options.
distilled_deit = dict(
    model=dict(
        type='DistilledImageClassifier',
        backbone=dict(type='DistilledVisionTransformer'),
        head=dict(type='DeiTClsHead'),
        # precision 'auto': bf16 where the hardware computes it (the
        # official main.py ran its teacher under fp16 autocast), weights
        # cast once, BatchNorm folded (docs/distillation.md)
        teacher=dict(
            cfg='regnety-16gf_in1k',
            checkpoint='https://dl.fbaipublicfiles.com/deit/'
            'regnety_160-a5fe301d.pth',
            precision='auto'),
        distillation=dict(type='hard', alpha=0.5)),
    # Accuracy of both heads averaged, of each head, of the teacher, and the
    # student-teacher agreement.
    val_evaluator=dict(type='DistillationAccuracy', topk=(1, 5)),
    custom_hooks=[dict(type='DistillationRecordHook')],
)
custom_hooks = distilled_deit['custom_hooks']
