# DeiT III's fine-tuning pipeline (imagenet_bs64_deit3-ft_224.py) at 384 px,
# evaluated at 384 px (crop ratio 1.0).
_base_ = ['./imagenet_bs64_deit3-ft_224.py']
img_size = 384

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
