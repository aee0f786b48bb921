# RegNetY-16GF, DeiT's teacher (82.9 top-1 on ImageNet-1k in the DeiT
# paper). The official weights (timm's `regnety_160` layout) load as they
# are: mmdeit.get_model('regnety-16gf_in1k', pretrained=True), or
# tools/test.py with this config and the checkpoint URL.
_base_ = [
    '../_base_/datasets/imagenet_bs64_deit_224.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ImageClassifier',
    backbone=dict(type='RegNet', arch='regnety-16gf'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=3024,
        loss=dict(type='CrossEntropyLoss')))

val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_evaluator = val_evaluator
