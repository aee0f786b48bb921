"""Crops, flips, resizing, colour jitter and random erasing against timm and
torchvision."""
import math
import random

import cv2
import numpy as np
import pytest
import torch
import torchvision.transforms as tv
import torchvision.transforms.functional as tvf
from PIL import Image
from timm.data.random_erasing import RandomErasing as TimmRandomErasing
from timm.data.transforms import RandomResizedCropAndInterpolation

from photo_images import from_pil, make_photo, to_pil
from mmdeit.datasets.transforms import (CenterCrop, ColorJitter,
                                        RandomErasing, RandomFlip,
                                        RandomResizedCrop, ResizeEdge)
from mmdeit.datasets.transforms import functional as F
from mmdeit.datasets.transforms.processing import (IMAGENET_BGR_MEAN,
                                                   IMAGENET_BGR_STD)
from mmdeit.registry import TRANSFORMS


def coordinate_image(height, width):
    """Each pixel encodes its position: (x mod 256, y mod 256, high bits)."""
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x % 256, y % 256, (x // 256) * 16 + y // 256],
                    axis=-1).astype(np.uint8)


# --- RandomResizedCrop -------------------------------------------------------


@pytest.mark.parametrize('height,width', [(375, 500), (500, 333), (224, 224),
                                          (40, 600), (600, 40)])
def test_rrc_same_crops_as_timm(height, width):
    """Same draws in the same order: equal seeds give timm's crops, the
    fallback of very elongated images included."""
    ours = RandomResizedCrop(224)
    pil = Image.new('RGB', (width, height))
    for seed in range(300):
        random.seed(seed)
        expected = RandomResizedCropAndInterpolation.get_params(
            pil, (0.08, 1.0), (3. / 4., 4. / 3.))
        random.seed(seed)
        assert ours.sample_crop(height, width) == expected


def test_rrc_statistics_like_torchvision():
    """Distribution of crops vs torchvision's own sampler (torch RNG)."""
    height, width, n = 375, 500, 6000
    ours = RandomResizedCrop(224)
    random.seed(0)
    torch.manual_seed(0)
    pil = Image.new('RGB', (width, height))
    a = np.array([ours.sample_crop(height, width) for _ in range(n)], float)
    b = np.array([tv.RandomResizedCrop.get_params(
        pil, [0.08, 1.0], [3. / 4., 4. / 3.]) for _ in range(n)], float)
    for crops in (a, b):
        area = crops[:, 2] * crops[:, 3] / (height * width)
        log_ratio = np.log(crops[:, 3] / crops[:, 2])
        assert area.min() >= 0.075 and area.max() <= 1.0
        assert np.abs(log_ratio).max() <= math.log(4 / 3) + 0.02
    stats = []
    for crops in (a, b):
        area = crops[:, 2] * crops[:, 3] / (height * width)
        centre_y = (crops[:, 0] + crops[:, 2] / 2) / height
        centre_x = (crops[:, 1] + crops[:, 3] / 2) / width
        log_ratio = np.log(crops[:, 3] / crops[:, 2])
        stats.append(np.concatenate([
            np.percentile(area, [10, 50, 90]),
            np.percentile(log_ratio, [10, 50, 90]),
            [centre_y.mean(), centre_x.mean(), centre_x.std()]]))
    np.testing.assert_allclose(stats[0], stats[1], atol=0.02)
    # Where every first draw fits, the area is uniform and the aspect ratio
    # log-uniform (up to the rounding of w and h to pixels).
    small = RandomResizedCrop(224, crop_ratio_range=(0.08, 0.3))
    c = np.array([small.sample_crop(2000, 2000) for _ in range(n)], float)
    area = c[:, 2] * c[:, 3] / 2000**2
    assert area.mean() == pytest.approx(0.19, abs=0.005)
    assert (area < 0.135).mean() == pytest.approx(0.25, abs=0.02)
    log_ratio = np.log(c[:, 3] / c[:, 2]) / math.log(4 / 3)
    assert (log_ratio < -0.5).mean() == pytest.approx(0.25, abs=0.02)
    assert (log_ratio > 0.5).mean() == pytest.approx(0.25, abs=0.02)


def test_rrc_output(photo, monkeypatch):
    transform = RandomResizedCrop((120, 100), interpolation='bicubic')
    monkeypatch.setattr(transform, 'sample_crop',
                        lambda h, w: (20, 30, 120, 100))
    results = transform(dict(img=photo, img_shape=photo.shape[:2]))
    # a crop already of the output size is only cut out
    np.testing.assert_array_equal(results['img'], photo[20:140, 30:130])
    assert results['img_shape'] == (120, 100)
    results = RandomResizedCrop(224)(dict(img=photo))
    assert results['img'].shape == (224, 224, 3)
    assert results['img'].dtype == np.uint8


def test_rrc_bicubic_close_to_pil(photo, monkeypatch):
    """cv2's bicubic against Pillow's (timm's) on an upscaling crop, where
    neither filters: same geometry, kernels a = -0.75 vs -0.5."""
    transform = RandomResizedCrop(224)
    monkeypatch.setattr(transform, 'sample_crop',
                        lambda h, w: (10, 20, 150, 160))
    ours = transform(dict(img=photo))['img'].astype(int)
    pil = to_pil(photo).crop((20, 10, 180, 160)).resize((224, 224),
                                                        Image.BICUBIC)
    diff = np.abs(ours - from_pil(pil).astype(int))
    assert diff.mean() < 1.0 and np.percentile(diff, 99) <= 6


# --- RandomFlip --------------------------------------------------------------


def test_flip(photo):
    out = RandomFlip(prob=1.0)(dict(img=photo))
    np.testing.assert_array_equal(out['img'], photo[:, ::-1])
    assert out['flip'] and out['flip_direction'] == 'horizontal'
    out = RandomFlip(prob=1.0, direction='vertical')(dict(img=photo))
    np.testing.assert_array_equal(out['img'], photo[::-1])
    out = RandomFlip(prob=0.0)(dict(img=photo))
    assert out['img'] is photo and not out['flip']
    random.seed(0)
    flips = [RandomFlip()(dict(img=photo))['flip'] for _ in range(4000)]
    assert np.mean(flips) == pytest.approx(0.5, abs=0.03)
    with pytest.raises(ValueError):
        RandomFlip(direction='diagonal')


# --- ResizeEdge and CenterCrop: the evaluation geometry ----------------------


@pytest.mark.parametrize('height,width', [(375, 500), (500, 375), (333, 500),
                                          (224, 224), (257, 300), (600, 259)])
def test_eval_geometry_like_torchvision(height, width):
    """Resize the short edge to int(224 / 0.875) = 256, crop the centre 224:
    with nearest sampling (cv2's exact variant = Pillow's), pixel for pixel
    torchvision's Resize(256) + CenterCrop(224) of timm/DeiT."""
    assert int(224 / 0.875) == 256
    img = coordinate_image(height, width)
    resize = ResizeEdge(256, edge='short', interpolation='nearest')
    results = CenterCrop(224)(resize(dict(img=img)))
    expected = tv.Compose([tv.Resize(256, tv.InterpolationMode.NEAREST),
                           tv.CenterCrop(224)])(Image.fromarray(img))
    np.testing.assert_array_equal(results['img'], np.asarray(expected))
    assert results['img_shape'] == (224, 224)
    short_h = height <= width
    size = tvf.resize(Image.fromarray(img), 256).size  # (w, h)
    assert resize.output_size(height, width) == (size[1], size[0])
    assert (size[1] == 256) if short_h else (size[0] == 256)


def test_eval_224_to_256_to_224(photo):
    """A 224 x 224 image is enlarged to 256 and cropped back at offset 16;
    bicubic values close to torchvision's (Pillow) on the same pixels."""
    img = cv2.resize(photo, (224, 224), interpolation=cv2.INTER_AREA)
    results = ResizeEdge(256)(dict(img=img))
    resized = results['img']
    assert resized.shape == (256, 256, 3)
    assert results['scale_factor'] == (256 / 224, 256 / 224)
    out = CenterCrop(224)(results)['img']
    np.testing.assert_array_equal(out, resized[16:240, 16:240])
    expected = tv.Compose([tv.Resize(256, tv.InterpolationMode.BICUBIC),
                           tv.CenterCrop(224)])(to_pil(img))
    diff = np.abs(out.astype(int) - from_pil(expected).astype(int))
    assert diff.mean() < 1.0 and np.percentile(diff, 99) <= 6


def test_resize_edge_long_and_center_crop_small():
    img = coordinate_image(100, 50)
    assert ResizeEdge(60, edge='long').output_size(100, 50) == (60, 30)
    assert ResizeEdge(60, edge='width').output_size(100, 50) == (120, 60)
    assert ResizeEdge(60, edge='height').output_size(100, 50) == (60, 30)
    out = CenterCrop((80, 80))(dict(img=img))['img']  # clipped to 80 x 50
    np.testing.assert_array_equal(out, img[10:90])
    with pytest.raises(ValueError):
        ResizeEdge(60, edge='diagonal')
    with pytest.raises(ValueError):
        ResizeEdge(60, interpolation='cubic')


# --- ColorJitter -------------------------------------------------------------


@pytest.mark.parametrize('factor', [0.0, 0.6, 1.0, 1.37])
def test_jitter_functions_equal_torchvision(photo, factor):
    pil = to_pil(photo)
    pairs = [(F.adjust_brightness, tvf.adjust_brightness),
             (F.adjust_contrast, tvf.adjust_contrast),
             (F.adjust_color, tvf.adjust_saturation)]
    for ours, theirs in pairs:
        np.testing.assert_array_equal(ours(photo, factor),
                                      from_pil(theirs(pil, factor)))


@pytest.mark.parametrize('strengths', [(0.3, 0.3, 0.3), (0.4, 0, 0.2)])
@pytest.mark.parametrize('seed', range(4))
def test_color_jitter_same_images_as_torchvision(photo, strengths, seed):
    """torchvision's draws (torch's generator) in its order: equal seeds
    give torchvision's images."""
    torch.manual_seed(seed)
    expected = from_pil(tv.ColorJitter(*strengths)(to_pil(photo)))
    torch.manual_seed(seed)
    out = ColorJitter(*strengths)(dict(img=photo))['img']
    np.testing.assert_array_equal(out, expected)


def test_color_jitter(photo):
    same = ColorJitter()(dict(img=photo))['img']
    assert same is photo
    jitter = TRANSFORMS.build(dict(type='ColorJitter', brightness=0.4,
                                   contrast=0.4, saturation=0.4))
    assert jitter.ranges['contrast'] == (pytest.approx(0.6), 1.4)
    assert jitter(dict(img=photo))['img'].shape == photo.shape
    with pytest.raises(ValueError):
        ColorJitter(brightness=-1)


# --- RandomErasing -----------------------------------------------------------


@pytest.mark.parametrize('height,width', [(224, 224), (60, 300)])
def test_erasing_boxes_match_timm(height, width):
    """Equal seeds give timm's decision and box ('const' mode writes zeros
    into timm's tensor of ones, which shows the box)."""
    ours = RandomErasing(erase_prob=0.25, mode='const')
    timm = TimmRandomErasing(probability=0.25, mode='const', device='cpu')
    erased = 0
    for seed in range(200):
        ones = np.ones((1, height, width), np.float32)
        random.seed(seed)
        timm(torch.from_numpy(ones))  # writes into ``ones``
        rows = np.flatnonzero((ones[0] == 0).any(1))
        cols = np.flatnonzero((ones[0] == 0).any(0))
        expected = None if len(rows) == 0 else (
            int(rows[0]), int(cols[0]), len(rows), len(cols))
        random.seed(seed)
        assert ours.sample_box(height, width) == expected
        erased += expected is not None
    assert erased == pytest.approx(50, abs=20)


def test_pixel_erasing_equals_timm_after_normalisation(photo, monkeypatch):
    """Same box, same N(0, 1) draws: after (x - mean) / std our uint8 box
    holds timm's values up to rounding (0.5 / std), except where the draw
    lies beyond what uint8 can hold, which saturates at 0 or 255."""
    mean_rgb = torch.tensor(IMAGENET_BGR_MEAN[::-1]).view(3, 1, 1)
    std_rgb = torch.tensor(IMAGENET_BGR_STD[::-1]).view(3, 1, 1)

    def normalise(bgr):
        rgb = torch.from_numpy(bgr[:, :, ::-1].copy()).permute(2, 0, 1)
        return (rgb.float() - mean_rgb) / std_rgb

    timm = TimmRandomErasing(probability=1.0, mode='pixel', device='cpu')
    timm_out = normalise(photo)
    random.seed(5)
    torch.manual_seed(5)
    timm(timm_out)

    ours = RandomErasing(erase_prob=1.0, mode='pixel')
    random.seed(5)
    top, left, h, w = box = ours.sample_box(*photo.shape[:2])
    torch.manual_seed(5)
    noise_rgb = torch.empty(3, h, w).normal_()  # timm's draw
    monkeypatch.setattr(ours, 'sample_box', lambda *_: box)
    noise_bgr = noise_rgb.permute(1, 2, 0).numpy()[..., ::-1]
    monkeypatch.setattr(ours, 'sample_noise', lambda *_: noise_bgr)
    out = normalise(ours(dict(img=photo.copy()))['img'])

    inside = torch.zeros(photo.shape[:2], dtype=torch.bool)
    inside[top:top + h, left:left + w] = True
    torch.testing.assert_close(out[:, ~inside], timm_out[:, ~inside])
    low, high = -mean_rgb / std_rgb, (255 - mean_rgb) / std_rgb
    representable = ((timm_out >= low) & (timm_out <= high))[:, inside]
    err = (out - timm_out)[:, inside]
    assert err[representable].abs().max() <= 0.5 / 57.12 + 1e-5
    assert 0.9 < representable.float().mean() < 1.0
    saturated = torch.clamp(timm_out, low, high)[:, inside]
    torch.testing.assert_close(out[:, inside][~representable],
                               saturated[~representable])


def test_erasing_modes_statistics(photo):
    random.seed(0)
    np.random.seed(0)
    mean = np.array(IMAGENET_BGR_MEAN)
    std = np.array(IMAGENET_BGR_STD)
    values = []
    for _ in range(30):
        img = photo.copy()
        box = RandomErasing(erase_prob=1.0, mode='pixel').sample_box(180, 240)
        top, left, h, w = box
        transform = RandomErasing(erase_prob=1.0, mode='pixel')
        transform.sample_box = lambda *_: box
        out = transform(dict(img=img))['img']
        assert out is img  # in place
        values.append(((out[top:top + h, left:left + w] - mean) / std)
                      .reshape(-1, 3))
    z = np.concatenate(values)
    assert np.abs(z.mean(0)).max() < 0.02
    # N(0, 1) with 3 % of the tail saturated: the std drops a little
    assert np.all((0.95 < z.std(0)) & (z.std(0) < 0.995))

    rand = RandomErasing(erase_prob=1.0, mode='rand')
    rand.sample_box = lambda *_: (10, 20, 30, 40)
    out = rand(dict(img=photo.copy()))['img'][10:40, 20:60]
    assert (out == out[0, 0]).all()
    const = RandomErasing(erase_prob=1.0, mode='const')
    const.sample_box = lambda *_: (10, 20, 30, 40)
    out = const(dict(img=photo.copy()))['img']
    mean_uint8 = np.broadcast_to([104, 116, 124], (30, 40, 3))
    np.testing.assert_array_equal(out[10:40, 20:60], mean_uint8)
    np.testing.assert_array_equal(out[:10], photo[:10])
    with pytest.raises(ValueError):
        RandomErasing(mode='noise')


def test_erasing_probability():
    img = make_photo(40, 40)
    random.seed(1)
    np.random.seed(1)
    transform = TRANSFORMS.build(
        dict(type='RandomErasing', erase_prob=0.25, mode='pixel'))
    changed = [not np.array_equal(transform(dict(img=img.copy()))['img'], img)
               for _ in range(2000)]
    assert np.mean(changed) == pytest.approx(0.25, abs=0.03)


def test_pillow_backend_shrinks_exactly_like_the_official_eval(photo):
    """backend='pillow' low-pass filters a shrink, giving torchvision's
    Resize(256, bicubic) on the PIL image exactly (RGB vs BGR aside)."""
    big = cv2.resize(photo, (640, 480), interpolation=cv2.INTER_CUBIC)
    ours = ResizeEdge(256, backend='pillow')(dict(img=big))['img']
    expected = tv.Resize(256, tv.InterpolationMode.BICUBIC)(to_pil(big))
    np.testing.assert_array_equal(ours, from_pil(expected))
    # cv2 does not filter: the same shrink differs visibly.
    fast = ResizeEdge(256)(dict(img=big))['img']
    assert np.abs(fast.astype(int) - ours.astype(int)).max() > 8
