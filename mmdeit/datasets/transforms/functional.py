"""Pure image functions behind the transforms, on numpy arrays.

Images are (H, W, 3) uint8 arrays in BGR order, as cv2/mmcv load them. The
colour and histogram operations reproduce Pillow's (``ImageOps``,
``ImageEnhance``, ``Image.blend``) bit for bit, so that RandAugment means what
it means in timm. The geometric ones follow Pillow's coordinate and fill
conventions: shears and translations with Pillow's own kernels along one
axis (:func:`shift_lines`, within one grey level of Pillow), rotations with
cv2's 2-D kernels (see :func:`warp_affine`).
"""
import functools
import math
from typing import List, Optional, Sequence, Tuple

import cv2
import mmcv
import numpy as np
import torch
from PIL import Image, ImageFilter

from mmdeit.utils.config_errors import (ConfigValueError, check_choice,
                                        did_you_mean)
# cv2 flags for resizing. 'nearest' is cv2's "exact" variant, which samples
# the pixel whose centre is nearest, as Pillow and torchvision do.
RESIZE_INTERPOLATIONS = {
    'nearest': cv2.INTER_NEAREST_EXACT,
    'bilinear': cv2.INTER_LINEAR,
    'bicubic': cv2.INTER_CUBIC,
    'area': cv2.INTER_AREA,
    'lanczos': cv2.INTER_LANCZOS4,
}
# What each resize backend implements: cv2 interpolates without filtering;
# Pillow and torch's antialiased kernel widen the filter by the shrink
# factor (a low-pass filter), as Pillow does for torchvision and timm.
RESIZE_BACKENDS = {
    'cv2': tuple(RESIZE_INTERPOLATIONS),
    'pillow': ('nearest', 'bilinear', 'bicubic', 'lanczos'),
    'torch': ('bilinear', 'bicubic'),
}
# cv2 flags for affine warps (cv2 has no "exact" nearest for warps).
WARP_INTERPOLATIONS = {
    'nearest': cv2.INTER_NEAREST,
    'bilinear': cv2.INTER_LINEAR,
    'bicubic': cv2.INTER_CUBIC,
}

_IDENTITY_LUT = np.arange(256, dtype=np.uint8)
_LUT_INPUT = np.arange(256, dtype=np.float32)


def apply_lut(img: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """Map every value through ``lut``: (256, ) for all channels or (256, 3)
    for one table per channel."""
    if lut.ndim == 2:
        lut = lut.reshape(256, 1, 3)
    return cv2.LUT(img, lut)


# Pillow's luma weights over 2^16 (B, G, R) and the rounding half: each
# product of a uint8 and a weight, and every partial sum, is a multiple of
# 2^-16 below 256.5, so float32 holds them exactly.
_GRAY_MATRIX = np.array([[7471, 38470, 19595, 32768]], np.float32) / 65536


def to_gray(img: np.ndarray) -> np.ndarray:
    """Luma of a BGR image with Pillow's integer weights (ITU-R 601-2,
    L = (19595 R + 38470 G + 7471 B + 2^15) >> 16). (H, W, 3) -> (H, W)
    uint8."""
    # exact in float32 (see _GRAY_MATRIX); numpy's conversion truncates
    return cv2.transform(img.astype(np.float32),
                         _GRAY_MATRIX).astype(np.uint8)


def blend(degenerate: np.ndarray, img: np.ndarray,
          factor: float) -> np.ndarray:
    """``degenerate + factor * (img - degenerate)`` as Pillow's
    ``Image.blend`` computes it: in float32, clipped to [0, 255] and
    truncated. Both arrays have the same shape."""
    base = degenerate.astype(np.float32)
    out = img.astype(np.float32)
    out -= base
    out *= np.float32(factor)
    out += base
    np.clip(out, 0, 255, out=out)
    return out.astype(np.uint8)


def _blend_lut(base: float, factor: float) -> np.ndarray:
    """The per-value table of :func:`blend` with a constant degenerate."""
    out = (_LUT_INPUT - np.float32(base)) * np.float32(factor) \
        + np.float32(base)
    return np.clip(out, 0, 255).astype(np.uint8)


# --- colour and histogram operations (Pillow-exact) -------------------------


def auto_contrast(img: np.ndarray) -> np.ndarray:
    """Stretch each channel linearly so its minimum becomes 0 and its
    maximum 255 (``ImageOps.autocontrast`` without cut-off)."""
    lo, hi = np.array([cv2.minMaxLoc(channel)[:2]
                       for channel in cv2.split(img)]).T
    flat = hi <= lo
    scale = 255.0 / np.where(flat, 1, hi - lo)
    lut = np.clip(np.trunc(_LUT_INPUT[:, None].astype(np.float64) * scale
                           - lo * scale), 0, 255)
    lut[:, flat] = _IDENTITY_LUT[:, None]
    return apply_lut(img, lut.astype(np.uint8))


def equalize(img: np.ndarray) -> np.ndarray:
    """Histogram equalisation of each channel (``ImageOps.equalize``)."""
    hist = np.stack([cv2.calcHist([img], [c], None, [256], [0, 256]).ravel()
                     for c in range(3)], axis=1).astype(np.int64)  # (256, 3)
    # Pillow's step: the pixels outside the last used value, over 255
    last_used = 255 - np.argmax(hist[::-1] > 0, axis=0)
    step = (hist.sum(0) - hist[last_used, np.arange(3)]) // 255
    before = np.cumsum(hist, axis=0) - hist
    lut = np.minimum((step // 2 + before) // np.maximum(step, 1), 255)
    lut[:, step == 0] = _IDENTITY_LUT[:, None]
    return apply_lut(img, lut.astype(np.uint8))


def invert(img: np.ndarray) -> np.ndarray:
    """255 - value."""
    return cv2.bitwise_not(img)


def posterize(img: np.ndarray, bits: int) -> np.ndarray:
    """Keep the ``bits`` most significant bits of every value (0 to 8)."""
    if bits >= 8:
        return img
    mask = (0xFF << (8 - bits)) & 0xFF
    return cv2.bitwise_and(img, np.full_like(img, mask))


def solarize(img: np.ndarray, threshold: int) -> np.ndarray:
    """Invert the values >= ``threshold`` (256 leaves the image as it is)."""
    lut = np.where(_IDENTITY_LUT < threshold, _IDENTITY_LUT,
                   255 - _IDENTITY_LUT).astype(np.uint8)
    return apply_lut(img, lut)


def solarize_add(img: np.ndarray, addition: int,
                 threshold: int = 128) -> np.ndarray:
    """Add ``addition`` (saturating at 255) to the values < ``threshold``."""
    values = np.arange(256)
    lut = np.where(values < threshold, np.minimum(values + addition, 255),
                   values).astype(np.uint8)
    return apply_lut(img, lut)


def grayscale(img: np.ndarray) -> np.ndarray:
    """The luma of :func:`to_gray` in all three channels, as torchvision's
    ``Grayscale(num_output_channels=3)`` on a PIL image."""
    return cv2.cvtColor(to_gray(img), cv2.COLOR_GRAY2BGR)


def gaussian_blur(img: np.ndarray, radius: float) -> np.ndarray:
    """Pillow's ``ImageFilter.GaussianBlur(radius)`` (an approximation by
    three box blurs that Pillow computes in its own way; running it is the
    exact way to match it). Channels are blurred independently, so their
    order does not matter."""
    blurred = Image.fromarray(np.ascontiguousarray(img)).filter(
        ImageFilter.GaussianBlur(radius=radius))
    return np.asarray(blurred)


def adjust_brightness(img: np.ndarray, factor: float) -> np.ndarray:
    """Blend with black (``ImageEnhance.Brightness``)."""
    return apply_lut(img, _blend_lut(0.0, factor))


def adjust_contrast(img: np.ndarray, factor: float) -> np.ndarray:
    """Blend with the mean grey level of the image, rounded to an integer
    (``ImageEnhance.Contrast``)."""
    mean = int(to_gray(img).mean(dtype=np.float64) + 0.5)
    return apply_lut(img, _blend_lut(mean, factor))


def adjust_color(img: np.ndarray, factor: float) -> np.ndarray:
    """Blend with the grey version of the image: 0 is grey, 1 the image,
    above 1 more saturated (``ImageEnhance.Color``)."""
    return blend(cv2.cvtColor(to_gray(img), cv2.COLOR_GRAY2BGR), img, factor)


def adjust_sharpness(img: np.ndarray, factor: float) -> np.ndarray:
    """Blend with Pillow's 3x3 ``SMOOTH`` filter of the image (weights 1,
    centre 5, over 13), whose one-pixel border is left unfiltered
    (``ImageEnhance.Sharpness``): 0 is smooth, 1 the image, above 1
    sharper."""
    # The 3x3 sum plus 4 x the centre, as integers; over 13 it is never
    # halfway between two integers, so cv2's rounding equals Pillow's.
    weighted = cv2.boxFilter(img, cv2.CV_16U, (3, 3), normalize=False,
                             borderType=cv2.BORDER_REPLICATE)
    weighted += img.astype(np.uint16) << 2
    smooth = cv2.convertScaleAbs(weighted, alpha=1 / 13)
    smooth[0], smooth[-1] = img[0], img[-1]
    smooth[:, 0], smooth[:, -1] = img[:, 0], img[:, -1]
    return blend(smooth, img, factor)


# --- geometry ---------------------------------------------------------------


def check_resize_mode(interpolation: str, backend: str,
                      owner: Optional[str] = None) -> None:
    """Raise :class:`ConfigValueError` naming the value at fault when
    ``backend`` does not exist or does not offer ``interpolation``."""
    check_choice('backend', backend, sorted(RESIZE_BACKENDS), owner)
    if interpolation not in RESIZE_BACKENDS[backend]:
        raise ConfigValueError(
            'interpolation', interpolation, f'not offered by backend '
            f'{backend!r}; must be one of '
            f'{", ".join(map(repr, RESIZE_BACKENDS[backend]))}' +
            did_you_mean(interpolation, RESIZE_BACKENDS[backend]), owner)


def resize(img: np.ndarray, size: Tuple[int, int], interpolation: str,
           backend: str) -> np.ndarray:
    """Resize to ``size`` = (h, w).

    Backends:

    * 'cv2': cv2's kernels (bicubic a = -0.75), which sample the input
      without filtering it, so a shrink aliases;
    * 'pillow': Pillow's ``Image.resize`` (bicubic a = -0.5, the kernel
      widened by the shrink factor), what torchvision and timm do on PIL
      images;
    * 'torch': torch's antialiased uint8 kernel
      (``interpolate(antialias=True)``), Pillow's filter computed with SIMD:
      within a quarter of a grey level of Pillow on average, a few times
      faster.

    Args:
        img: (H, W, C) or (H, W) uint8; a view (a crop) is read in place.
        size: output (h, w).
        interpolation: a name of ``RESIZE_BACKENDS[backend]``.
        backend: 'cv2', 'pillow' or 'torch'.
    Returns:
        (h, w, C) or (h, w) uint8, C-contiguous.
    """
    out_h, out_w = size
    if backend == 'cv2':
        return cv2.resize(img, (out_w, out_h),
                          interpolation=RESIZE_INTERPOLATIONS[interpolation])
    if backend == 'pillow':
        return mmcv.imresize(np.ascontiguousarray(img), (out_w, out_h),
                             interpolation=interpolation, backend='pillow')
    return _resize_antialiased(img, size, interpolation)


# aten's antialiased kernels, called with ``out=``: ``interpolate`` returns
# a (1, C, h, w) contiguous tensor, and turning it back into (h, w, C) costs
# as much as the resize; written into an (h, w, C) array seen as a
# channels-last tensor, the kernel needs no copy on either side.
# tests/test_datasets/test_transforms/test_antialiased_resize.py checks the
# signature.
_ANTIALIASED_KERNELS = {
    'bilinear': torch.ops.aten._upsample_bilinear2d_aa.out,
    'bicubic': torch.ops.aten._upsample_bicubic2d_aa.out,
}


def _resize_antialiased(img: np.ndarray, size: Tuple[int, int],
                        interpolation: str) -> np.ndarray:
    """torch's antialiased resize (Pillow's filter) of an (H, W[, C])
    array to (h, w[, C])."""
    hwc = img if img.ndim == 3 else img[:, :, None]
    out = np.empty((*size, hwc.shape[2]), img.dtype)
    # (H, W, C) arrays as (1, C, H, W) channels-last tensors, no copies.
    _ANTIALIASED_KERNELS[interpolation](
        torch.from_numpy(hwc).permute(2, 0, 1).unsqueeze(0), list(size),
        False, out=torch.from_numpy(out).permute(2, 0, 1).unsqueeze(0))
    return out if img.ndim == 3 else out[:, :, 0]


def _fill_image(shape: Tuple[int, ...], fill: Sequence[int]) -> np.ndarray:
    """An image of ``shape`` in the colour ``fill`` (read-only, cached:
    filling a (H, W, 3) array with a colour costs as much as a warp)."""
    return _cached_fill_image(tuple(shape), tuple(int(v) for v in fill))


@functools.lru_cache(maxsize=16)
def _cached_fill_image(shape: Tuple[int, ...],
                       fill: Tuple[int, ...]) -> np.ndarray:
    img = np.empty(shape, np.uint8)
    img[:] = np.asarray(fill, np.uint8)
    img.flags.writeable = False
    return img


def warp_affine(img: np.ndarray, coeffs: Sequence[float],
                fill: Sequence[int], interpolation: str) -> np.ndarray:
    """Affine warp with Pillow's conventions (``Image.transform(AFFINE)``).

    ``coeffs = (a, b, c, d, e, f)`` map an output point (x, y) to the input
    point (a x + b y + c, d x + e y + f), in continuous coordinates where
    pixel (i, j) spans [j, j + 1) x [i, i + 1). As in Pillow, an output pixel
    whose centre maps outside the input takes ``fill``; one that maps inside
    is interpolated with clamped borders, in float32 and truncated, as in
    Pillow. The kernels are cv2's: bilinear agrees with Pillow's within one
    grey level; bicubic is a = -0.75 where Pillow's affine uses a = -1, a
    mean difference under half a level but up to ~20 on sharp edges. The
    shears and translations take :func:`shift_lines`, Pillow's kernels.

    Args:
        img: (H, W, 3) uint8.
        coeffs: the six affine coefficients.
        fill: colour of the uncovered area, in the image's channel order.
        interpolation: 'nearest', 'bilinear' or 'bicubic'.
    Returns:
        (H, W, 3) uint8.
    """
    a, b, c, d, e, f = coeffs
    # cv2 maps pixel indices (centres at integers): shift by half a pixel on
    # both sides.
    matrix = np.array([[a, b, c + (a + b - 1) * 0.5],
                       [d, e, f + (d + e - 1) * 0.5]], np.float64)
    height, width = img.shape[:2]
    flags = WARP_INTERPOLATIONS[interpolation] | cv2.WARP_INVERSE_MAP
    # Interpolating in float32 and truncating, as Pillow does, avoids cv2's
    # +0.5 rounding bias; cv2's float path is also the faster one.
    out = cv2.warpAffine(img.astype(np.float32), matrix, (width, height),
                         flags=flags, borderMode=cv2.BORDER_REPLICATE)
    out = np.clip(out, 0, 255, out=out).astype(np.uint8)
    # Nearest sampling of a zero image with a border of 1 marks the pixels
    # whose centre maps outside [0, W) x [0, H).
    outside = cv2.warpAffine(
        np.zeros((height, width), np.uint8), matrix, (width, height),
        flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT, borderValue=1)
    cv2.copyTo(_fill_image(out.shape, fill), outside, out)
    return out


# Pillow's 1-D kernels in its affine transforms, as (first tap, number of
# taps): nearest samples the pixel under the point, bilinear and bicubic
# (a = -1) start at floor(x - 0.5) + first.
_LINE_TAPS = {'nearest': (0, 1), 'bilinear': (0, 2), 'bicubic': (-1, 4)}
# float32 sums of Pillow's float64 arithmetic land within ~3e-5 of it; this
# guard keeps exact integers (flat areas, which Pillow's formulas give
# exactly) from truncating one level down.
_TRUNCATION_GUARD = np.float32(1e-4)


def _line_weights(frac: torch.Tensor, taps: int) -> List[torch.Tensor]:
    """Weights of the taps of Pillow's kernels at fractional positions
    ``frac`` (bilinear: v1 + (v2 - v1) d; bicubic: Pillow's BICUBIC macro,
    a = -1, written as weights)."""
    if taps == 2:
        return [1 - frac, frac]
    frac2 = frac * frac
    frac3 = frac2 * frac
    return [2 * frac2 - frac - frac3, 1 - 2 * frac2 + frac3,
            frac + frac2 - frac3, frac3 - frac2]


@functools.lru_cache(maxsize=8)
def _line_map(lines: int, span: int, axis: int) -> np.ndarray:
    """The remap coordinate that stays on each line: (lines, span) for
    rows (``axis=1``), (span, lines) for columns; cached, read-only."""
    index = np.arange(lines, dtype=np.float32)
    out = np.repeat(index[:, None], span, 1) if axis == 1 \
        else np.repeat(index[None, :], span, 0)
    out.flags.writeable = False
    return out


def shift_lines(img: np.ndarray, offsets: np.ndarray, axis: int,
                fill: Sequence[int], interpolation: str) -> np.ndarray:
    """Shift every row (``axis=1``) or column (``axis=0``) by its own
    amount, as Pillow's affine transform does for shears and translations.

    With ``axis=1``, output pixel (x, y) takes the input at the continuous
    point (x + 0.5 + offsets[y], y + 0.5), i.e. ``Image.transform(AFFINE)``
    with ``a = 1, d = 0, e = 1`` and ``b y + c`` folded into the offsets
    (``axis=0``: the same along columns). The point lies on a pixel row, so
    Pillow's 2-D kernels reduce to 1-D ones along the row; this computes
    them vectorised: the taps gathered by one nearest remap (clamped
    borders), weighted in float32 and truncated as in Pillow. A pixel whose
    centre maps outside the image takes ``fill``. Nearest is exact; bilinear
    and bicubic (a = -1) within one grey level of Pillow's float64 (under
    0.1 % of the values on photos).

    Args:
        img: (H, W, 3) uint8.
        offsets: (H, ) for ``axis=1``, (W, ) for ``axis=0``, in pixels.
        axis: 1 to shift along rows, 0 along columns.
        fill: colour of the uncovered area, in the image's channel order.
        interpolation: 'nearest', 'bilinear' or 'bicubic'.
    Returns:
        (H, W, 3) uint8.
    """
    length = img.shape[axis]
    offsets = np.asarray(offsets, np.float64)
    first, taps = _LINE_TAPS[interpolation]
    # index of the first tap of output pixel 0, and the fractional position
    start = np.floor(offsets + (0.5 if taps == 1 else 0.0))
    span = np.arange(length + taps - 1, dtype=np.float32)
    if axis == 1:
        map_x = span[None, :] + (start + first).astype(np.float32)[:, None]
        map_y = _line_map(len(offsets), len(span), 1)
    else:
        map_x = _line_map(len(offsets), len(span), 0)
        map_y = span[:, None] + (start + first).astype(np.float32)[None, :]
    taps_img = cv2.remap(img, map_x, map_y, cv2.INTER_NEAREST,
                         borderMode=cv2.BORDER_REPLICATE)
    if taps == 1:
        out = taps_img
    else:
        source = torch.from_numpy(taps_img).float()
        frac = torch.from_numpy((offsets - start).astype(np.float32))
        # (H, 1, 1) along rows; along columns (1, W, C), repeated over the
        # channels: torch broadcasts over leading dimensions much faster
        frac = frac.view(-1, 1, 1) if axis == 1 else \
            frac.view(1, -1, 1).expand(1, -1, img.shape[2]).contiguous()
        weights = _line_weights(frac, taps)

        def tap(k):
            return source[:, k:k + length] if axis == 1 \
                else source[k:k + length]

        acc = tap(0) * weights[0]
        for k in range(1, taps):
            acc.addcmul_(tap(k), weights[k])
        acc = acc.numpy()
        acc += _TRUNCATION_GUARD
        # numpy's float -> uint8 truncates, several times faster than torch's
        out = np.clip(acc, 0, 255, out=acc).astype(np.uint8)
    # Pillow fills the pixels whose centre x + 0.5 + offset is outside
    # [0, length): those before ``low`` and from ``high`` on.
    low = np.ceil(-0.5 - offsets).clip(0, length).astype(np.int32)
    high = np.ceil(length - 0.5 - offsets).clip(0, length).astype(np.int32)
    if low.max() > 0 or high.min() < length:
        positions = np.arange(length, dtype=np.int32)
        if axis == 1:
            outside = (positions[None, :] < low[:, None]) | \
                (positions[None, :] >= high[:, None])
        else:
            outside = (positions[:, None] < low[None, :]) | \
                (positions[:, None] >= high[None, :])
        cv2.copyTo(_fill_image(out.shape, fill), outside.view(np.uint8), out)
    return out


def rotation_coeffs(degrees: float, width: int,
                    height: int) -> Tuple[float, ...]:
    """Affine coefficients (output -> input) of a counter-clockwise rotation
    by ``degrees`` about the image centre, as ``Image.rotate`` builds them
    (cosines rounded to 15 decimals)."""
    angle = -math.radians(degrees % 360.0)
    cos, sin = round(math.cos(angle), 15), round(math.sin(angle), 15)
    cx, cy = width / 2.0, height / 2.0
    return (cos, sin, cx - cos * cx - sin * cy,
            -sin, cos, cy + sin * cx - cos * cy)


def rotate(img: np.ndarray, degrees: float, fill: Sequence[int],
           interpolation: str) -> np.ndarray:
    """Rotate counter-clockwise about the centre, keeping the size."""
    height, width = img.shape[:2]
    return warp_affine(img, rotation_coeffs(degrees, width, height), fill,
                       interpolation)


def shear_x(img: np.ndarray, factor: float, fill: Sequence[int],
            interpolation: str) -> np.ndarray:
    """Output (x, y) takes input (x + factor * y, y)."""
    rows = np.arange(img.shape[0]) + 0.5
    return shift_lines(img, factor * rows, 1, fill, interpolation)


def shear_y(img: np.ndarray, factor: float, fill: Sequence[int],
            interpolation: str) -> np.ndarray:
    """Output (x, y) takes input (x, y + factor * x)."""
    columns = np.arange(img.shape[1]) + 0.5
    return shift_lines(img, factor * columns, 0, fill, interpolation)


def translate_x(img: np.ndarray, pixels: float, fill: Sequence[int],
                interpolation: str) -> np.ndarray:
    """Output (x, y) takes input (x + pixels, y): content moves left for
    positive ``pixels``."""
    return shift_lines(img, np.full(img.shape[0], float(pixels)), 1, fill,
                       interpolation)


def translate_y(img: np.ndarray, pixels: float, fill: Sequence[int],
                interpolation: str) -> np.ndarray:
    """Output (x, y) takes input (x, y + pixels): content moves up for
    positive ``pixels``."""
    return shift_lines(img, np.full(img.shape[1], float(pixels)), 0, fill,
                       interpolation)
