# DeiT III's 3-Augment pre-training pipeline (imagenet_bs64_deit3_224.py) at
# 154 px, evaluated at 154 px (crop ratio 1.0): the 11 x 11 grid of 14 px
# patches that the official huge model sees of its 160 px images (its patch
# convolution leaves out their last 6 rows and columns).
_base_ = ['./imagenet_bs64_deit3_224.py']
img_size = 154

# the 224 px pipelines with every size set to img_size
__sizes = dict(RandomResizedCrop='scale', ResizeEdge='scale',
               CenterCrop='crop_size')
train_pipeline = [
    dict(step, **{__sizes[step['type']]: img_size})
    if step['type'] in __sizes else step for step in _base_.train_pipeline
]
test_pipeline = [
    dict(step, **{__sizes[step['type']]: img_size})
    if step['type'] in __sizes else step for step in _base_.test_pipeline
]

train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
