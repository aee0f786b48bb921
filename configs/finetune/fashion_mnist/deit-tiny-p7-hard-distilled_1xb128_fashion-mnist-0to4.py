# Stage 0 of the transfer experiment: the demo's student with a
# distillation token, pre-trained on the first five classes with hard
# distillation from the teacher pre-trained on them (as the released
# distilled DeiTs were distilled on ImageNet). tools/transfer_demo.py passes
# the teacher's checkpoint:
#   --cfg-options model.teacher.checkpoint=<teacher run>/epoch_1.pth
_base_ = ['./deit-tiny-p7_1xb128_fashion-mnist-0to4.py',
          '../../_base_/distillation/deit_hard_regnety-16gf.py']

model = dict(
    _base_.distilled_deit.model,
    teacher=dict(
        cfg='configs/finetune/fashion_mnist/'
        'regnety-200mf_1xb128_fashion-mnist-0to4.py',
        checkpoint='work_dirs/transfer/pretrain/teacher/epoch_1.pth'))
