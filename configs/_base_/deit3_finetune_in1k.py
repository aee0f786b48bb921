# DeiT III's 20-epoch fine-tuning on ImageNet-1k, as the official
# README_revenge commands fine-tune DeiT III-base (./models/deit3-base.py; a
# config sets another size): cross-entropy with label smoothing 0.1 on the
# Mixup/CutMix targets in place of the pre-training's binary cross-entropy,
# and the fine-tuning schedule (./schedules/imagenet_bs512_adamw_deit3-ft.py),
# from pre-trained weights (a config names the checkpoint in init_cfg). A
# config adds the dataset at its resolution
# (./datasets/imagenet_bs64_deit3-ft_224.py or _384.py).
_base_ = [
    './models/deit3-base.py',
    './schedules/imagenet_bs512_adamw_deit3-ft.py',
    './default_runtime.py',
]

model = dict(
    head=dict(loss=dict(_delete_=True, type='CrossEntropyLoss',
                        label_smoothing=0.1)),
    train_cfg=dict(label_smoothing=0.1),
    init_cfg=dict(type='Pretrained'))
