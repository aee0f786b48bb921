# The demo's student with hard distillation, in the data-efficient regime
# (10,000 images, 8 epochs): loss = 0.5 * CE(class head, labels)
# + 0.5 * CE(distillation head, teacher's arg-max), as in DeiT. The teacher
# is the one tools/demo.py trains; to run this config by hand, train the
# teacher config first and pass its checkpoint:
#   --cfg-options model.teacher.checkpoint=work_dirs/.../epoch_10.pth
_base_ = ['./deit-p7-w128_1xb128-8ep_fashion-mnist-10k.py',
          '../_base_/distillation/deit_hard_regnety-16gf.py']

# DeiT's hard distillation with the demo's teacher in place of RegNetY-16GF
model = dict(
    _base_.distilled_deit.model,
    teacher=dict(
        cfg='regnetx-w48_1xb128-10ep_fashion-mnist-10k',
        checkpoint='work_dirs/demo/seed0/teacher/epoch_10.pth'))
val_evaluator = _base_.distilled_deit.val_evaluator
test_evaluator = val_evaluator
custom_hooks = _base_.distilled_deit.custom_hooks
