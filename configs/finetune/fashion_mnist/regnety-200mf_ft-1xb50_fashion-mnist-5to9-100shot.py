# Two-stage distillation, stage 1: the teacher pre-trained on classes 0-4
# (regnety-200mf_1xb128_fashion-mnist-0to4.py) fine-tuned on the same 100
# images per class as the student, with a new 5-class head.
_base_ = ['../../demo/regnety-200mf_1xb128_fashion-mnist.py']

classes = ('Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot')

model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='work_dirs/transfer/pretrain/teacher/epoch_1.pth',
            prefix='backbone')),
    head=dict(num_classes=len(classes)))
data_preprocessor = dict(num_classes=len(classes))

batch_size = 50
train_dataloader = dict(
    batch_size=batch_size,
    dataset=dict(ann_file='meta/classes5-9_100shot_seed0.txt',
                 classes=classes))
val_dataloader = dict(
    dataset=dict(ann_file='meta/classes5-9_test.txt', classes=classes))
test_dataloader = val_dataloader
val_evaluator = dict(topk=(1, ))
test_evaluator = val_evaluator

# the students' schedule, at the teacher's pre-training lr
max_epochs = 10
optim_wrapper = dict(optimizer=dict(lr=5e-3))
param_scheduler = [
    dict(type='WarmupCosineLR', T_max=max_epochs, eta_min=1e-5,
         warmup_length=1, warmup_start_lr=1e-5, by_epoch=True,
         end=max_epochs, convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
auto_scale_lr = dict(base_batch_size=batch_size)

default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
