# CIFAR-100 (cifar-100-python.tar.gz from
# https://www.cs.toronto.edu/~kriz/cifar.html, extracted into
# data/cifar100/), 100 fine classes, with CIFAR-10's 224-px pipelines.
_base_ = ['./cifar10_bs96_deit_224.py']

data_root = 'data/cifar100'
num_classes = 100

data_preprocessor = dict(num_classes=num_classes)
train_dataloader = dict(dataset=dict(type='CIFAR100', data_root=data_root))
val_dataloader = dict(dataset=dict(type='CIFAR100', data_root=data_root))
test_dataloader = val_dataloader
