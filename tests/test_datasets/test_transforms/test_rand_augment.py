"""RandAugment against timm's (timm/data/auto_augment.py) on the same
pixels: timm works on PIL RGB images, we on BGR arrays."""
import math
import random

import numpy as np
import pytest
from PIL import Image
from timm.data import auto_augment as timm_aa

from photo_images import from_pil, to_pil
from mmdeit.datasets.transforms import RandAugment
from mmdeit.datasets.transforms import auto_augment as aa
from mmdeit.datasets.transforms import functional as F
from mmdeit.registry import TRANSFORMS

TIMM_FILL = (124, 116, 104)  # RGB, as timm's create_transform sets it
OUR_FILL = (104, 116, 124)  # the same colour in BGR
PIL_MODES = {'nearest': Image.NEAREST, 'bilinear': Image.BILINEAR,
             'bicubic': Image.BICUBIC}
COLOUR_OPS = [n for n in aa.OPS if not aa.OPS[n].geometric]
GEOMETRIC_OPS = [n for n in aa.OPS if aa.OPS[n].geometric]


@pytest.fixture
def timm_posterize_zero_bits(monkeypatch):
    """timm asks Pillow for 0 bits at magnitude 10 of PosterizeIncreasing,
    which Pillow >= 9.1 refuses; older Pillow returned black. Restore that
    for timm's side of the comparison."""
    keep = timm_aa.posterize

    def posterize(img, bits, **kwargs):
        return Image.new(img.mode, img.size) if bits <= 0 else keep(
            img, bits, **kwargs)

    for name in ('Posterize', 'PosterizeIncreasing'):
        monkeypatch.setitem(timm_aa.NAME_TO_OP, name, posterize)


def timm_op(name, magnitude, interpolation='bicubic'):
    hparams = dict(img_mean=TIMM_FILL, translate_const=100,
                   interpolation=PIL_MODES[interpolation])
    return timm_aa.AugmentOp(name, prob=1.0, magnitude=magnitude,
                             hparams=hparams)


def run_both(name, magnitude, img, seed, interpolation='bicubic'):
    """timm's and our output of one op; the same seed gives the same random
    sign."""
    random.seed(seed)
    expected = from_pil(timm_op(name, magnitude, interpolation)(to_pil(img)))
    random.seed(seed)
    actual = aa.apply_op(img, name, magnitude, OUR_FILL, interpolation)
    return actual, expected


@pytest.mark.usefixtures('timm_posterize_zero_bits')
@pytest.mark.parametrize('name', COLOUR_OPS)
@pytest.mark.parametrize('magnitude', [0, 2.5, 5, 7.3, 9, 10])
def test_colour_ops_equal_timm(name, magnitude, photo, dull_photo):
    """Colour and histogram ops reproduce Pillow's arithmetic: no
    tolerance. Seeds 0 and 1 give both signs of the *Increasing ops."""
    for img in (photo, dull_photo):
        for seed in (0, 1):
            actual, expected = run_both(name, magnitude, img, seed)
            assert actual.dtype == np.uint8
            np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize('name', GEOMETRIC_OPS)
@pytest.mark.parametrize('interpolation', ['nearest', 'bilinear', 'bicubic'])
def test_geometric_ops_close_to_timm(name, interpolation, photo):
    """Same transform and fill as timm.

    Shears and translations sample along one axis with Pillow's own 1-D
    kernels (:func:`F.shift_lines`): nearest is exact, bilinear and bicubic
    (a = -1) by at most one grey level (float32 against Pillow's float64
    before truncation: on a few % of the values at most, where a round
    fraction such as 0.2 puts many exact sums on an integer). Rotate uses
    cv2's 2-D kernels: 'nearest' may differ only on pixels whose centre
    lands within rounding of the image border (< 0.2 %); 'bilinear' by at
    most 1 grey level (cv2 quantises sample positions to 1/32 pixel, Pillow
    does not); 'bicubic' is cv2's a = -0.75 where Pillow's affine uses
    a = -1: a mean difference under half a grey level, under 10 levels for
    99.9 % of the values and at most ~0.1 of the local step on sharp edges
    (32 levels).
    """
    for magnitude in (3, 9):
        for seed in (0, 1):  # both signs
            actual, expected = run_both(name, magnitude, photo, seed,
                                        interpolation)
            diff = np.abs(actual.astype(int) - expected.astype(int))
            if name != 'Rotate':
                assert diff.max() <= (0 if interpolation == 'nearest' else 1)
                assert (diff > 0).mean() < 0.1
            elif interpolation == 'nearest':
                assert (diff > 0).mean() < 0.002
            elif interpolation == 'bilinear':
                assert (diff > 1).mean() < 0.002
                assert diff.mean() < 0.1
            else:
                assert diff.mean() < 0.5
                assert np.percentile(diff, 99.9) <= 10
                assert diff.max() <= 32
            # the fill colour covers the same area
            fill_ours = np.all(actual == OUR_FILL, axis=-1)
            fill_timm = np.all(expected == OUR_FILL, axis=-1)
            assert (fill_ours != fill_timm).mean() < 0.003
            if name == 'Rotate' or magnitude == 9:
                assert fill_timm.mean() > 0.02


@pytest.mark.parametrize('axis', [0, 1])
def test_shift_lines_is_pillows_affine(photo, axis):
    """Every line shifted by its own fractional amount, against Pillow's
    ``Image.transform(AFFINE)`` with the matching coefficients: offsets
    from -40 to +40 pixels cover both fills and every fraction."""
    size = photo.shape[1 - axis]
    offsets = np.linspace(-40.3, 39.9, size)
    pil = to_pil(photo)
    for interpolation in ('nearest', 'bilinear', 'bicubic'):
        actual = F.shift_lines(photo, offsets, axis, OUR_FILL, interpolation)
        # row y shifted by offsets[y]: x_in = x + offsets[y] is affine in y
        slope = offsets[1] - offsets[0]
        start = offsets[0] - slope * 0.5
        coeffs = (1, slope, start, 0, 1, 0) if axis == 1 else \
            (1, 0, 0, slope, 1, start)
        expected = from_pil(pil.transform(
            pil.size, Image.AFFINE, coeffs, PIL_MODES[interpolation],
            fillcolor=TIMM_FILL))
        diff = np.abs(actual.astype(int) - expected.astype(int))
        assert diff.max() <= (0 if interpolation == 'nearest' else 1)
        assert (diff > 0).mean() < 0.02
        filled = np.all(actual == OUR_FILL, axis=-1)
        assert 0.05 < filled.mean() < 0.3
        assert np.array_equal(filled, np.all(expected == OUR_FILL, axis=-1))


def test_random_interpolation_like_timm(photo):
    """Without a fixed interpolation timm picks bilinear or bicubic per
    geometric op, after the sign; ours draws the same way."""
    hparams = dict(img_mean=TIMM_FILL)  # timm's random choice by default
    for seed in range(8):
        random.seed(seed)
        expected = from_pil(timm_aa.AugmentOp('ShearX', 1.0, 9, hparams)(
            to_pil(photo)))
        random.seed(seed)
        actual = aa.apply_op(photo, 'ShearX', 9, OUR_FILL,
                             ('bilinear', 'bicubic'))
        diff = np.abs(actual.astype(int) - expected.astype(int))
        assert diff.mean() < 0.4 and np.percentile(diff, 99.9) <= 10


def test_geometric_ops_direction(photo):
    """A positive translation moves content left/up, as in Pillow."""
    out = F.translate_x(photo, 24, OUR_FILL, 'nearest')
    np.testing.assert_array_equal(out[:, :-24], photo[:, 24:])
    assert np.all(out[:, -24:] == OUR_FILL)
    out = F.translate_y(photo, -10, OUR_FILL, 'bilinear')
    np.testing.assert_array_equal(out[10:], photo[:-10])
    assert np.all(out[:10] == OUR_FILL)


def test_posterize_to_zero_bits_is_black(photo):
    """At magnitude 10, PosterizeIncreasing keeps 0 bits: a black image."""
    out = aa.apply_op(photo, 'PosterizeIncreasing', 10)
    assert not out.any()


def test_level_to_argument_mappings():
    """The magnitude -> argument tables at magnitude 9 (signs positive)."""
    random.seed(1)
    rotate = aa._rotate_args(9)[0]
    assert rotate == pytest.approx(27.0)
    assert aa._posterize_increasing_args(9) == (1, )
    assert aa._solarize_increasing_args(9) == (256 - 230, )
    assert aa._solarize_add_args(9) == (99, )
    assert aa._enhance_args(9) == (pytest.approx(1.72), )
    random.seed(1)
    assert aa._enhance_increasing_args(9) == (pytest.approx(1.81), )
    random.seed(1)
    assert aa._shear_args(9) == (pytest.approx(0.27), )
    random.seed(1)
    assert aa._translate_args(9) == (pytest.approx(0.405), )


def test_magnitude_sampling_matches_timm(monkeypatch):
    """Gaussian noise std 0.5 around 9, clipped to [0, 10], drawn only for
    applied ops: the same sequence as timm's from the same seed, and the
    statistics of a normal truncated above at 10 (2 std)."""
    drawn = []
    monkeypatch.setitem(timm_aa.LEVEL_TO_ARG, 'Invert',
                        lambda level, _: drawn.append(level) or ())
    timm = timm_aa.AugmentOp('Invert', prob=0.5, magnitude=9,
                             hparams=dict(magnitude_std=0.5))
    random.seed(0)
    img = Image.new('RGB', (2, 2))
    for _ in range(4000):
        timm(img)

    mine = []
    monkeypatch.setattr(aa, 'apply_op',
                        lambda img, name, magnitude, *_: mine.append(
                            magnitude) or img)
    ours = RandAugment(policies=['Invert'], num_policies=1,
                       magnitude_level=9, magnitude_std=0.5)
    random.seed(0)
    for _ in range(4000):
        ours(dict(img=None))
    assert 1800 < len(mine) < 2200
    assert mine == drawn

    ours = RandAugment(policies='rand-m9-mstd0.5-inc1')
    random.seed(1)
    samples = np.array([ours.sample_magnitude() for _ in range(20000)])
    assert samples.max() == 10.0 and samples.min() >= 0
    clipped = samples == 10.0
    assert clipped.mean() == pytest.approx(0.02275, abs=0.004)
    assert samples[~clipped].mean() == pytest.approx(8.9724, abs=0.01)
    assert samples[~clipped].std() == pytest.approx(0.4708, abs=0.01)


def test_magnitude_uniform_and_fixed():
    uniform = RandAugment(policies='rand-m9-mstd101')
    assert uniform.magnitude_std == math.inf
    random.seed(0)
    samples = np.array([uniform.sample_magnitude() for _ in range(5000)])
    assert samples.min() >= 0 and samples.max() <= 9
    assert samples.mean() == pytest.approx(4.5, abs=0.15)
    fixed = RandAugment(policies='rand-m7')
    assert {fixed.sample_magnitude() for _ in range(10)} == {7}


@pytest.mark.parametrize('spec', ['rand-m9-mstd0.5-inc1', 'rand-m9-mstd0.5',
                                  'rand-m7-n3-p0.7-mmax12-inc1'])
def test_spec_string_like_timm(spec):
    timm = timm_aa.rand_augment_transform(spec, {})
    ours = RandAugment(policies=spec)
    assert ours.policies == [op.name for op in timm.ops]
    assert ours.num_policies == timm.num_layers
    op = timm.ops[0]
    assert ours.magnitude_level == op.magnitude
    assert ours.magnitude_std == op.magnitude_std
    assert ours.magnitude_max == (op.magnitude_max or 10)
    assert ours.prob == op.prob


def test_parse_spec():
    assert aa.parse_timm_spec('rand-m9-mstd0.5-inc1') == dict(
        policies='timm_increasing', magnitude_level=9, magnitude_std=0.5)
    with pytest.raises(ValueError):
        aa.parse_timm_spec('augmix-m5')
    with pytest.raises(ValueError):
        aa.parse_timm_spec('rand-q3')
    with pytest.raises(ValueError):
        RandAugment(policies='timm_unknown')
    with pytest.raises(ValueError):
        RandAugment(policies=['Rotate', 'Cutout'])
    with pytest.raises(ValueError):
        RandAugment(interpolation='area')


@pytest.mark.usefixtures('timm_posterize_zero_bits')
def test_whole_transform_makes_timms_decisions(photo, monkeypatch):
    """With equal seeds for ``random`` and ``numpy.random``, our
    RandAugment picks the same ops, magnitudes and signs as timm's
    ``rand-m9-mstd0.5-inc1`` (with DeiT's fill and bicubic): outputs are
    equal, or close where a geometric op ran."""
    timm = timm_aa.rand_augment_transform(
        'rand-m9-mstd0.5-inc1',
        dict(img_mean=TIMM_FILL, translate_const=100,
             interpolation=Image.BICUBIC))
    ours = TRANSFORMS.build(
        dict(type='RandAugment', policies='rand-m9-mstd0.5-inc1'))
    applied = []
    original = aa.apply_op

    def recording(img, name, *args):
        applied.append(name)
        return original(img, name, *args)

    monkeypatch.setattr(aa, 'apply_op', recording)
    pil = to_pil(photo)
    exact = 0
    for seed in range(60):
        random.seed(seed)
        np.random.seed(seed)
        expected = from_pil(timm(pil))
        random.seed(seed)
        np.random.seed(seed)
        applied.clear()
        actual = ours(dict(img=photo.copy()))['img']
        if any(aa.OPS[name].geometric for name in applied):
            diff = np.abs(actual.astype(int) - expected.astype(int))
            assert diff.mean() < 0.5
        else:
            np.testing.assert_array_equal(actual, expected)
            exact += 1
    assert 20 < exact < 60
