# Oxford Flowers-102 (https://www.robots.ox.ac.uk/~vgg/data/flowers/102/:
# 102flowers.tgz, imagelabels.mat and setid.mat, in data/flowers102/) for
# fine-tuning at 224 px: trained on train + val (2,040 images), tested on
# the 6,149 test images, as the DeiT paper counts them (Table 6). The
# pipelines are CIFAR-10's (./cifar10_bs96_deit_224.py: ImageNet's, with
# RandomErasing left out as the authors did for the other small sets,
# CIFAR-10 and Cars, facebookresearch/deit issue #45; they gave nothing for
# Flowers), here reading image files.
_base_ = ['./cifar10_bs96_deit_224.py']

dataset_type = 'Flowers102'
data_root = 'data/flowers102'
num_classes = 102

data_preprocessor = dict(num_classes=num_classes)

train_pipeline = [dict(type='LoadImageFromFile'), *_base_.train_pipeline]
test_pipeline = [dict(type='LoadImageFromFile'), *_base_.test_pipeline]

train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='trainval',
                 pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
