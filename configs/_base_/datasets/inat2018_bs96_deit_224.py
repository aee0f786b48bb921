# iNaturalist 2018 (https://github.com/visipedia/inat_comp: train2018.json,
# val2018.json and train_val2018/, in data/inat2018/): 437,513 training and
# 24,426 validation images of 8,142 species, at 224 px. ImageNet's
# augmentation with RandomErasing 0.1 instead of 0.25, as the authors
# fine-tuned (facebookresearch/deit issue #105).
_base_ = ['./flowers102_bs96_deit_224.py']

dataset_type = 'INaturalist'
data_root = 'data/inat2018'
num_classes = 8142
img_size = 224

data_preprocessor = dict(num_classes=num_classes)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size, interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandAugment', policies='rand-m9-mstd0.5-inc1'),
    dict(type='RandomErasing', erase_prob=0.1, mode='pixel'),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, year=2018,
                 split='train', pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, year=2018,
                 split='val'))
test_dataloader = val_dataloader
