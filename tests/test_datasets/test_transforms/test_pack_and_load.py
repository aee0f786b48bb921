"""Loading, packing, and the DeiT pipelines built from config dicts."""
import cv2
import numpy as np
import pytest
import torch
from mmcv.transforms import LoadImageFromFile as MMCVLoadImageFromFile
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope

from photo_images import make_photo
from mmdeit.datasets.transforms import PackInputs
from mmdeit.registry import TRANSFORMS
from mmdeit.structures import DataSample

TRAIN_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandAugment', policies='rand-m9-mstd0.5-inc1'),
    dict(type='RandomErasing', erase_prob=0.25, mode='pixel'),
    dict(type='PackInputs'),
]
TEST_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]


@pytest.fixture
def jpeg(tmp_path):
    path = str(tmp_path / 'photo.jpg')
    cv2.imwrite(path, make_photo(300, 400), [cv2.IMWRITE_JPEG_QUALITY, 95])
    return path


def test_pack_inputs(photo):
    flipped = photo[:, ::-1]  # a non-contiguous view
    packed = PackInputs()(dict(img=flipped, gt_label=3, img_path='a.jpg',
                               ori_shape=(300, 400), img_shape=(180, 240),
                               unused='x'))
    inputs, sample = packed['inputs'], packed['data_samples']
    assert inputs.dtype == torch.uint8 and inputs.shape == (3, 180, 240)
    assert inputs.is_contiguous()
    np.testing.assert_array_equal(inputs.permute(1, 2, 0).numpy(), flipped)
    assert isinstance(sample, DataSample)
    assert sample.gt_label.tolist() == [3]
    assert sample.metainfo == dict(img_path='a.jpg', ori_shape=(300, 400),
                                   img_shape=(180, 240))
    grey = PackInputs()(dict(img=photo[:, :, 0]))
    assert grey['inputs'].shape == (1, 180, 240)
    assert 'gt_label' not in grey['data_samples']


def test_load_image_is_mmcvs_in_our_registry(jpeg):
    with DefaultScope.overwrite_default_scope('mmdeit'):
        loader = TRANSFORMS.build(dict(type='LoadImageFromFile'))
    assert isinstance(loader, MMCVLoadImageFromFile)
    results = loader(dict(img_path=jpeg))
    np.testing.assert_array_equal(results['img'], cv2.imread(jpeg))
    assert results['img_shape'] == results['ori_shape'] == (300, 400)


def test_train_pipeline(jpeg):
    with DefaultScope.overwrite_default_scope('mmdeit'):
        pipeline = Compose(TRAIN_PIPELINE)
    for _ in range(20):
        packed = pipeline(dict(img_path=jpeg, gt_label=7))
        assert packed['inputs'].shape == (3, 224, 224)
        assert packed['inputs'].dtype == torch.uint8
        sample = packed['data_samples']
        assert sample.gt_label.tolist() == [7]
        assert sample.ori_shape == (300, 400)
        assert sample.img_shape == (224, 224)
        assert sample.img_path == jpeg


def test_test_pipeline_is_deterministic(jpeg):
    with DefaultScope.overwrite_default_scope('mmdeit'):
        pipeline = Compose(TEST_PIPELINE)
    first = pipeline(dict(img_path=jpeg, gt_label=1))
    second = pipeline(dict(img_path=jpeg, gt_label=1))
    assert first['inputs'].shape == (3, 224, 224)
    assert torch.equal(first['inputs'], second['inputs'])
    # 300 x 400 -> 256 x 341 (int(256 * 400 / 300)) -> centre 224
    img = cv2.resize(cv2.imread(jpeg), (341, 256),
                     interpolation=cv2.INTER_CUBIC)[16:240, 58:282]
    np.testing.assert_array_equal(first['inputs'].permute(1, 2, 0).numpy(),
                                  img)
    assert first['data_samples'].scale_factor == (341 / 400, 256 / 300)
