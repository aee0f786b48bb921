# iNaturalist 2019 (train2019.json, val2019.json and train_val2019/, in
# data/inat2019/): 265,240 training and 3,003 validation images of 1,010
# species, with iNaturalist 2018's pipelines.
_base_ = ['./inat2018_bs96_deit_224.py']

data_root = 'data/inat2019'
num_classes = 1010

data_preprocessor = dict(num_classes=num_classes)
train_dataloader = dict(dataset=dict(data_root=data_root, year=2019))
val_dataloader = dict(dataset=dict(data_root=data_root, year=2019))
test_dataloader = val_dataloader
