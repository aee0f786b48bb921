"""Loading, packing, and the DeiT pipelines built from config dicts."""
import cv2
import numpy as np
import pytest
import torch
from mmcv.transforms import LoadImageFromFile as MMCVLoadImageFromFile
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope
from PIL import Image

from photo_images import make_photo, to_pil
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


def _jpeg_variants(folder):
    """Files cv2 and simplejpeg both decode: chroma subsampling 4:2:0,
    4:2:2 and 4:4:4, progressive, restart markers, odd sizes, grey."""
    photo = make_photo(301, 399, seed=3)
    writes = {
        '420.jpg': (photo, [cv2.IMWRITE_JPEG_QUALITY, 90]),
        '444.jpg': (photo, [cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
                            cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444]),
        '422.jpg': (photo, [cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
                            cv2.IMWRITE_JPEG_SAMPLING_FACTOR_422]),
        'progressive.jpg': (photo, [cv2.IMWRITE_JPEG_PROGRESSIVE, 1]),
        'restarts.jpg': (photo, [cv2.IMWRITE_JPEG_RST_INTERVAL, 3]),
        'grey.jpg': (photo[:, :, 1], []),
    }
    for name, (img, params) in writes.items():
        assert cv2.imwrite(str(folder / name), img, params)
        yield str(folder / name)


def _count_calls(monkeypatch, module, name):
    calls = []
    original = getattr(module, name)

    def counted(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


@pytest.mark.parametrize('color_type', ['color', 'color_ignore_orientation'])
def test_jpegs_decode_by_simplejpeg_to_cv2s_pixels(tmp_path, monkeypatch,
                                                   color_type):
    import simplejpeg
    calls = _count_calls(monkeypatch, simplejpeg, 'decode_jpeg')
    flag = cv2.IMREAD_COLOR if color_type == 'color' else \
        cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION
    loader = TRANSFORMS.build(dict(type='LoadImageFromFile',
                                   color_type=color_type))
    paths = list(_jpeg_variants(tmp_path))
    for path in paths:
        img = loader(dict(img_path=path))['img']
        expected = cv2.imread(path, flag)
        assert img.shape == expected.shape and img.dtype == np.uint8, path
        np.testing.assert_array_equal(img, expected, err_msg=path)
    assert len(calls) == len(paths)


def _save_with_pil(path, bgr, mode='RGB', **kwargs):
    to_pil(bgr).convert(mode).save(path, quality=92, **kwargs)
    return str(path)


def test_files_simplejpeg_does_not_reproduce_go_to_cv2(tmp_path,
                                                        monkeypatch):
    import simplejpeg
    calls = _count_calls(monkeypatch, simplejpeg, 'decode_jpeg')
    photo = make_photo(120, 200, seed=4)
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned 90 degrees clockwise
    turned = _save_with_pil(tmp_path / 'turned.jpg', photo,
                            exif=exif.tobytes())
    cmyk = _save_with_pil(tmp_path / 'cmyk.jpg', photo, mode='CMYK')
    png = str(tmp_path / 'photo.png')
    cv2.imwrite(png, photo)
    loader = TRANSFORMS.build(dict(type='LoadImageFromFile'))
    for path in (turned, cmyk, png):
        np.testing.assert_array_equal(loader(dict(img_path=path))['img'],
                                      cv2.imread(path), err_msg=path)
    assert loader(dict(img_path=turned))['img'].shape == (200, 120, 3)
    # the turned photo is sent to cv2 before decoding, the CMYK one by
    # simplejpeg's refusal; the PNG never reaches it
    assert len(calls) == 1
    upright = TRANSFORMS.build(dict(type='LoadImageFromFile',
                                    color_type='color_ignore_orientation'))
    assert upright(dict(img_path=turned))['img'].shape == (120, 200, 3)
    assert len(calls) == 2


def test_without_simplejpeg_cv2_decodes(tmp_path, monkeypatch):
    """simplejpeg is a dependency, but the offline GPU check may lack it."""
    from mmdeit.datasets.transforms import loading
    monkeypatch.setattr(loading, 'simplejpeg', None)
    calls = _count_calls(monkeypatch, loading.mmcv, 'imfrombytes')
    path = next(_jpeg_variants(tmp_path))
    img = TRANSFORMS.build(dict(type='LoadImageFromFile'))(
        dict(img_path=path))['img']
    np.testing.assert_array_equal(img, cv2.imread(path))
    assert len(calls) == 1


def test_has_exif_reads_the_segments_before_the_scan(tmp_path):
    from mmdeit.datasets.transforms.loading import has_exif
    photo = make_photo(40, 60)
    plain = cv2.imencode('.jpg', photo)[1].tobytes()  # JFIF APP0 only
    assert not has_exif(plain)
    exif = Image.Exif()
    exif[0x0112] = 3
    tagged = _save_with_pil(tmp_path / 'tagged.jpg', photo,
                            exif=exif.tobytes())
    tagged = open(tagged, 'rb').read()
    assert has_exif(tagged)
    # EXIF behind an ICC profile (APP2) and the tables is still found
    app2 = b'\xff\xe2' + (18).to_bytes(2, 'big') + b'ICC_PROFILE\x00' + \
        bytes(4)
    assert has_exif(plain[:2] + app2 + tagged[2:])
    # a header that cannot be walked is not declared free of EXIF
    assert has_exif(plain[:2] + b'\x00' + plain[3:])
    assert has_exif(plain[:30])


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
