# DeiT-base fine-tuned on CIFAR-10 at 224 px from the released ImageNet-1k
# weights; otherwise as deit-small_ft-8xb96_cifar10.py.
_base_ = ['./deit-small_ft-8xb96_cifar10.py']

model = _base_.in1k_weights.deit_base
