"""configs/finetune/fashion_mnist, the configs of tools/transfer_demo.py:
pre-training on classes 0-4, transfer to classes 5-9, and the fine-tuning
idiom loading an mmdeit checkpoint's backbone under a new head."""
from pathlib import Path

import torch
from mmengine import Config

from mmdeit.models.zoo import build_model_from_config

ROOT = Path(__file__).parents[2]
CONFIGS = ROOT / 'configs' / 'finetune' / 'fashion_mnist'
PRETRAIN = {
    'student': 'deit-tiny-p7_1xb128_fashion-mnist-0to4.py',
    'teacher': 'regnety-200mf_1xb128_fashion-mnist-0to4.py',
    'distilled': 'deit-tiny-p7-hard-distilled_1xb128_fashion-mnist-0to4.py',
}
TRANSFER = {
    'finetuned': 'deit-tiny-p7_ft-1xb50_fashion-mnist-5to9-100shot.py',
    'scratch': 'deit-tiny-p7_scratch-1xb50_fashion-mnist-5to9-100shot.py',
    'teacher': 'regnety-200mf_ft-1xb50_fashion-mnist-5to9-100shot.py',
    'distilled': 'deit-tiny-p7-hard-distilled_ft-1xb50_'
                 'fashion-mnist-5to9-100shot.py',
}
CLASSES_0_4 = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat')
CLASSES_5_9 = ('Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot')


def load(name: str) -> Config:
    return Config.fromfile(CONFIGS / name)


def test_pretraining_sees_classes_0_to_4_only():
    for name in PRETRAIN.values():
        cfg = load(name)
        assert cfg.model.head.num_classes == 5
        for loader in (cfg.train_dataloader, cfg.test_dataloader):
            assert loader.dataset.classes == CLASSES_0_4
        assert cfg.train_dataloader.dataset.ann_file == \
            'meta/classes0-4_train.txt'
    distilled = load(PRETRAIN['distilled'])
    assert distilled.model.teacher.cfg == \
        f'configs/finetune/fashion_mnist/{PRETRAIN["teacher"]}'


def test_transfer_runs_share_data_and_schedule():
    configs = {key: load(name) for key, name in TRANSFER.items()}
    for cfg in configs.values():
        assert cfg.model.head.num_classes == 5
        assert cfg.train_dataloader.dataset.classes == CLASSES_5_9
        assert cfg.test_dataloader.dataset.ann_file == \
            'meta/classes5-9_test.txt'
        assert cfg.train_cfg.max_epochs == 10
        assert cfg.train_dataloader.batch_size == \
            cfg.auto_scale_lr.base_batch_size == 50
    students = [configs[key] for key in ('finetuned', 'scratch', 'distilled')]
    assert len({cfg.optim_wrapper.optimizer.lr for cfg in students}) == 1
    assert len({str(cfg.param_scheduler) for cfg in students}) == 1
    # the one difference between fine-tuning and the baseline
    assert configs['finetuned'].model.backbone.init_cfg.prefix == 'backbone'
    assert configs['scratch'].model.backbone.init_cfg is None
    # two-stage distillation: the teacher fine-tuned on the same classes
    distilled = configs['distilled']
    assert distilled.model.teacher.cfg == \
        f'configs/finetune/fashion_mnist/{TRANSFER["teacher"]}'
    assert distilled.model.backbone.init_cfg.checkpoint.endswith(
        'pretrain/distilled/epoch_1.pth')


def test_pretrained_backbone_loads_under_a_new_head(tmp_path):
    """MMPretrain's idiom on an mmdeit checkpoint: the backbone's weights
    are the source's, the head keeps its own initialisation."""
    source = build_model_from_config(load(PRETRAIN['student']))
    source.init_weights()
    checkpoint = tmp_path / 'epoch_1.pth'
    torch.save({'state_dict': source.state_dict(), 'meta': {}}, checkpoint)

    cfg = load(TRANSFER['finetuned'])
    cfg.model.backbone.init_cfg.checkpoint = str(checkpoint)
    model = build_model_from_config(cfg)
    model.init_weights()

    loaded = model.backbone.state_dict()
    for key, value in source.backbone.state_dict().items():
        torch.testing.assert_close(loaded[key], value, rtol=0, atol=0,
                                   msg=key)
    # the head was not loaded but initialised as a new one: truncated
    # normal of std 0.02, zero bias
    weight = model.head.fc.weight
    assert not torch.equal(weight, source.head.fc.weight)
    assert abs(float(weight.std()) - 0.02) < 0.003
    assert not model.head.fc.bias.any()
