# The released ImageNet-1k weights (the official files of
# facebookresearch/deit) as the start of a fine-tuning. Each entry merges
# into a config's `model`, e.g. `model = _base_.in1k_weights.deit_base`: it
# sets the architecture, the head's input width and the backbone's weights
# (`prefix='backbone'`: the head stays new); the distilled ones also the
# types, over ../distillation/*.py's model. One name holds them all, as
# mmengine refuses a key (such as `model`) that two base files define.
official = 'https://dl.fbaipublicfiles.com/deit/'
in1k_weights = dict(
    deit_small=dict(
        backbone=dict(arch='deit-small', init_cfg=dict(
            type='Pretrained', prefix='backbone',
            checkpoint=official + 'deit_small_patch16_224-cd65a155.pth')),
        head=dict(in_channels=384)),
    deit_base=dict(
        backbone=dict(arch='deit-base', init_cfg=dict(
            type='Pretrained', prefix='backbone',
            checkpoint=official + 'deit_base_patch16_224-b5f2ef4d.pth')),
        head=dict(in_channels=768)),
    deit_small_distilled=dict(
        backbone=dict(
            type='DistilledVisionTransformer', arch='deit-small',
            init_cfg=dict(type='Pretrained', prefix='backbone',
                          checkpoint=official + 'deit_small_distilled_'
                          'patch16_224-649709d9.pth')),
        head=dict(type='DeiTClsHead', in_channels=384)),
    deit_base_distilled=dict(
        backbone=dict(
            type='DistilledVisionTransformer', arch='deit-base',
            init_cfg=dict(type='Pretrained', prefix='backbone',
                          checkpoint=official + 'deit_base_distilled_'
                          'patch16_224-df68dfff.pth')),
        head=dict(type='DeiTClsHead', in_channels=768)),
    # DeiT's teacher (timm's `regnety_160` layout)
    regnety_16gf=dict(backbone=dict(arch='regnety-16gf', init_cfg=dict(
        type='Pretrained', prefix='backbone',
        checkpoint=official + 'regnety_160-a5fe301d.pth'))),
)
