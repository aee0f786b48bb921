# Two-stage distillation, stage 1: the teacher pre-trained on classes 0-4
# (regnety-200mf_1xb128_fashion-mnist-0to4.py) fine-tuned on the same 100
# images per class as the student, with a new 5-class head: the students'
# data and schedule at the teacher's pre-training lr.
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
auto_scale_lr = dict(base_batch_size=batch_size)

train_cfg = dict(max_epochs=10, val_interval=10)
param_scheduler = [dict(_base_.param_scheduler[0], warmup_length=1)]
