# ImageNet-1k as DeiT III fine-tunes (the official 20-epoch commands): DeiT's
# augmentation (./imagenet_bs64_deit_224.py: RandomResizedCrop, bicubic and
# antialiased, flip, RandAugment rand-m9-mstd0.5-inc1) without random
# erasing, no repeated augmentation. Evaluation at crop ratio 1.0: the short
# side resized to 224, the centre 224 x 224 cropped.
_base_ = ['./imagenet_bs64_deit_224.py']
img_size = 224

train_pipeline = [
    step for step in _base_.train_pipeline if step['type'] != 'RandomErasing'
]
# crop ratio 1.0: the short side resized to the crop size
test_pipeline = [
    dict(step, scale=img_size) if step['type'] == 'ResizeEdge' else step
    for step in _base_.test_pipeline
]

train_dataloader = dict(
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
