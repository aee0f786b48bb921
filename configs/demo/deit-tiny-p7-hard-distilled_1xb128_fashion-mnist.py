# The demo's first student with hard distillation from the first teacher
# (one epoch of the 60,000 training images each): loss = 0.5 * CE(class
# head, labels) + 0.5 * CE(distillation head, teacher's arg-max), as in DeiT.
# By hand, on data converted with tools/dataset_converters/fashion_mnist.py
# (its default --out is data/fashion_mnist, these configs' data_root; after
# `make demo` add the options of the 10k hard-distilled config):
#   python tools/train.py configs/demo/regnety-200mf_1xb128_fashion-mnist.py
#   python tools/train.py \
#     configs/demo/deit-tiny-p7-hard-distilled_1xb128_fashion-mnist.py
_base_ = ['./deit-tiny-p7_1xb128_fashion-mnist.py',
          '../_base_/distillation/deit_hard_regnety-16gf.py']

# DeiT's hard distillation with the demo's teacher in place of RegNetY-16GF
model = dict(
    _base_.distilled_deit.model,
    teacher=dict(
        cfg='regnety-200mf_1xb128_fashion-mnist',
        checkpoint='work_dirs/regnety-200mf_1xb128_fashion-mnist/'
        'epoch_1.pth'))
