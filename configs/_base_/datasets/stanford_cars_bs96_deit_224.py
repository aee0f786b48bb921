# Stanford Cars (cars_train.tgz, cars_test.tgz, car_devkit.tgz and
# cars_test_annos_withlabels.mat, from
# https://ai.stanford.edu/~jkrause/cars/car_dataset.html or its mirrors, in
# data/stanford_cars/): 8,144 training and 8,041 test images, 196 classes,
# whole images at 224 px. No RandomErasing (facebookresearch/deit issue
# #45, for Cars); the rest as Flowers-102's pipelines.
_base_ = ['./flowers102_bs96_deit_224.py']

data_root = 'data/stanford_cars'
num_classes = 196

data_preprocessor = dict(num_classes=num_classes)
train_dataloader = dict(
    dataset=dict(type='StanfordCars', data_root=data_root, split='train'))
val_dataloader = dict(
    dataset=dict(type='StanfordCars', data_root=data_root, split='test'))
test_dataloader = val_dataloader
