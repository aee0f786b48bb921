# Stage 0 of the transfer experiment: the demo's convnet teacher
# (RegNetY-200MF) pre-trained on the first five Fashion-MNIST classes.
_base_ = ['../../demo/regnety-200mf_1xb128_fashion-mnist.py']

classes = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat')

model = dict(head=dict(num_classes=len(classes)))
data_preprocessor = dict(num_classes=len(classes))

train_dataloader = dict(
    dataset=dict(ann_file='meta/classes0-4_train.txt', classes=classes))
val_dataloader = dict(
    dataset=dict(ann_file='meta/classes0-4_test.txt', classes=classes))
test_dataloader = val_dataloader
val_evaluator = dict(topk=(1, ))
test_evaluator = val_evaluator
