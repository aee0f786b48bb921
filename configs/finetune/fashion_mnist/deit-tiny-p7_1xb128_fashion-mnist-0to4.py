# Stage 0 of the transfer experiment (tools/transfer_demo.py): the demo's
# plain student pre-trained on the first five Fashion-MNIST classes only,
# standing in for a released DeiT. tools/transfer_demo.py writes the
# annotation files (labels 0-4) into the converted data folder.
_base_ = ['../../demo/deit-tiny-p7_1xb128_fashion-mnist.py']

classes = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat')

model = dict(head=dict(num_classes=len(classes)))
data_preprocessor = dict(num_classes=len(classes))

train_dataloader = dict(
    dataset=dict(ann_file='meta/classes0-4_train.txt', classes=classes))
val_dataloader = dict(
    dataset=dict(ann_file='meta/classes0-4_test.txt', classes=classes))
test_dataloader = val_dataloader
# top-5 of five classes is always 100 %
val_evaluator = dict(topk=(1, ))
test_evaluator = val_evaluator
