# Stage 1 of the transfer experiment (tools/transfer_demo.py): the student
# pre-trained on classes 0-4 (deit-tiny-p7_1xb128_fashion-mnist-0to4.py)
# fine-tuned on 100 training images of each of the other five classes,
# with a new 5-class head. MMPretrain's fine-tuning idiom: the backbone's
# weights come from the checkpoint ('backbone.' keys), the head is left
# initialised. tools/transfer_demo.py passes the checkpoint and, per seed,
# the 100-image draw:
#   --cfg-options model.backbone.init_cfg.checkpoint=<run>/epoch_1.pth \
#       train_dataloader.dataset.ann_file=meta/classes5-9_100shot_seed1.txt
_base_ = ['../../demo/deit-tiny-p7_1xb128_fashion-mnist.py']

classes = ('Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot')

model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='work_dirs/transfer/pretrain/student/epoch_1.pth',
            prefix='backbone')),
    head=dict(num_classes=len(classes)))
data_preprocessor = dict(num_classes=len(classes))

# 500 images, 10 batches of 50 an epoch, and the lr stated for that batch
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

# The pre-training's AdamW and warm-up + cosine over 10 short epochs (100
# iterations), one of them warming up. The scratch baseline
# (deit-tiny-p7_scratch-...) trains with exactly this schedule.
train_cfg = dict(max_epochs=10, val_interval=10)
param_scheduler = [dict(_base_.param_scheduler[0], warmup_length=1)]
