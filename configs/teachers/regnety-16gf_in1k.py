# RegNetY-16GF, DeiT's teacher (82.9 top-1 on ImageNet-1k in the DeiT
# paper). The official weights (timm's `regnety_160` layout) load as they
# are: mmdeit.get_model('regnety-16gf_in1k', pretrained=True), or
# tools/test.py with this config and the checkpoint URL.
_base_ = [
    '../_base_/models/regnety-16gf.py',
    '../_base_/datasets/imagenet_bs64_deit_224.py',
    '../_base_/default_runtime.py',
]

# The classifier of ../_base_/models/regnety-16gf.py as released: plain
# cross-entropy, none of its training settings (Mixup/CutMix, label
# smoothing).
model = dict(_base_.model, _delete_=True,
             head=dict(_base_.model.head, loss=dict(type='CrossEntropyLoss')))
del model['train_cfg']

val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_evaluator = val_evaluator
