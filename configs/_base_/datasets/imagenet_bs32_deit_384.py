# The DeiT pipelines (./imagenet_bs64_deit_224.py) at 384 px: evaluation
# resizes to int(384 / 0.875) = 438 and crops 384.
_base_ = ['./imagenet_bs64_deit_224.py']
img_size = 384

# the 224 px pipelines with every size set for img_size, at the same crop
# ratio (0.875) in evaluation
__sizes = dict(
    RandomResizedCrop=dict(scale=img_size),
    ResizeEdge=dict(scale=int(img_size / 0.875)),
    CenterCrop=dict(crop_size=img_size))
train_pipeline = [
    dict(step, **__sizes.get(step['type'], {}))
    for step in _base_.train_pipeline
]
test_pipeline = [
    dict(step, **__sizes.get(step['type'], {}))
    for step in _base_.test_pipeline
]

train_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=32, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
