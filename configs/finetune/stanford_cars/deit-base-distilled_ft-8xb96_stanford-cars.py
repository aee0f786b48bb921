# The released distilled DeiT-base fine-tuned on Stanford Cars with
# distillation from the teacher fine-tuned on it; otherwise as
# deit-small-distilled_ft-8xb96_stanford-cars.py.
_base_ = ['./deit-small-distilled_ft-8xb96_stanford-cars.py']

model = dict(
    backbone=dict(
        arch='deit-base',
        init_cfg=dict(checkpoint='https://dl.fbaipublicfiles.com/deit/'
                      'deit_base_distilled_patch16_224-df68dfff.pth')),
    head=dict(in_channels=768))
