# ImageNet-1k with DeiT III's 3-Augment, as it pre-trains: RandomResizedCrop
# (bicubic, antialiased) and flip, then one of grayscale, solarization and
# Gaussian blur per image, then colour jitter 0.3; no RandAugment, no random
# erasing; repeated augmentation (3 repeats). Evaluation at crop ratio 1.0,
# as the official commands evaluate (--eval-crop-ratio 1.0): the short side
# resized to 224, the centre 224 x 224 cropped.
_base_ = ['./imagenet_bs64_deit_224.py']
img_size = 224

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size, interpolation='bicubic',
         backend='torch'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ThreeAugment'),
    dict(type='ColorJitter', brightness=0.3, contrast=0.3, saturation=0.3),
    dict(type='PackInputs'),
]
# crop ratio 1.0 (./imagenet_bs64_deit3-ft_224.py's evaluation)
test_pipeline = [
    dict(step, scale=img_size) if step['type'] == 'ResizeEdge' else step
    for step in _base_.test_pipeline
]

train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
