# The demo's student with hard distillation, in the data-efficient regime
# (10,000 images, 8 epochs): loss = 0.5 * CE(class head, labels)
# + 0.5 * CE(distillation head, teacher's arg-max), as in DeiT. The teacher
# is the one tools/demo.py trains (seed 0's by default). After `make demo`,
# this config trains by hand on the data and teacher the demo left:
#   D=work_dirs/demo/data/fashion_mnist
#   python tools/train.py \
#     configs/demo/deit-p7-w128-hard-distilled_1xb128-8ep_fashion-mnist-10k.py \
#     --cfg-options train_dataloader.dataset.data_root=$D \
#     val_dataloader.dataset.data_root=$D
_base_ = ['./deit-p7-w128_1xb128-8ep_fashion-mnist-10k.py',
          '../_base_/distillation/deit_hard_regnety-16gf.py']

# DeiT's hard distillation with the demo's teacher in place of RegNetY-16GF
model = dict(
    _base_.distilled_deit.model,
    teacher=dict(cfg='regnetx-w48_1xb32-12ep_fashion-mnist-10k',
                 checkpoint='work_dirs/demo/seed0/teacher/epoch_12.pth'))
