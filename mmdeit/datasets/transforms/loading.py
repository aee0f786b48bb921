"""Image loading: mmcv's ``LoadImageFromFile``, registered in mmdeit's
TRANSFORMS so that configs with ``default_scope='mmdeit'`` build it, with
one change: a file that cannot be used raises
:class:`mmdeit.datasets.fetching.UnreadableImageError` naming it and saying
why (missing, unreadable, empty, not decodable), so that training replaces
the sample and evaluation stops with the path.

It reads the file with mmengine's file backends and decodes it with cv2
(``imdecode_backend='cv2'``, the default) into an (H, W, 3) uint8 BGR array,
setting ``img``, ``img_shape`` and ``ori_shape``. cv2 applies a JPEG's EXIF
orientation, which Pillow (and so timm) ignores; pass
``color_type='color_ignore_orientation'`` for timm's behaviour.

With the cv2 backend, colour JPEGs are decoded by simplejpeg instead: the
same libjpeg-turbo with the same settings (accurate integer IDCT, smooth
chroma upsampling), so the same pixels as cv2, in about three quarters of
its time (``benchmark_pipeline.py --parts decode``). A file it refuses
(CMYK, damaged) and a photo to be turned by its EXIF orientation go to cv2,
as does everything where simplejpeg is not installed (it is a dependency of
mmdeit; the offline GPU check may run without it).
"""
import io
from typing import Optional

import mmcv
import numpy as np
from PIL import Image
from mmcv.transforms import LoadImageFromFile as MMCVLoadImageFromFile
from mmengine import fileio

from mmdeit.registry import TRANSFORMS
from ..fetching import UnreadableImageError

try:
    import simplejpeg
except ImportError:  # pragma: no cover - a dependency, but not essential
    simplejpeg = None


@TRANSFORMS.register_module()
class LoadImageFromFile(MMCVLoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` (same arguments) that raises
    :class:`UnreadableImageError` for a file it cannot use; with
    ``ignore_empty=True`` it returns None instead, as mmcv's does."""

    def transform(self, results: dict) -> Optional[dict]:
        path = results['img_path']
        try:
            img = self._read(path)
        except UnreadableImageError:
            if self.ignore_empty:
                return None
            raise
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def _read(self, path: str) -> np.ndarray:
        try:
            if self.file_client_args is not None:
                data = fileio.FileClient.infer_client(
                    self.file_client_args, path).get(path)
            else:
                data = fileio.get(path, backend_args=self.backend_args)
        except Exception as error:
            reason = getattr(error, 'strerror', None) or error
            raise UnreadableImageError(f'{path}: cannot read it ({reason})',
                                       path) from error
        if not data:
            raise UnreadableImageError(f'{path}: empty file', path)
        try:
            img = self._decode_jpeg(data)
            if img is None:
                img = mmcv.imfrombytes(data, flag=self.color_type,
                                       backend=self.imdecode_backend)
        except Exception as error:
            raise UnreadableImageError(
                f'{path}: not a decodable image ({error})', path) from error
        if img is None:
            raise UnreadableImageError(
                f'{path}: not a decodable image ({len(data)} bytes)', path)
        return img

    def _decode_jpeg(self, data: bytes) -> Optional[np.ndarray]:
        """cv2's (H, W, 3) BGR decoding of a colour JPEG, by simplejpeg;
        None where cv2 must decode: not a JPEG, another colour type or
        backend, an EXIF orientation to apply, or a file simplejpeg
        refuses."""
        if (simplejpeg is None or self.imdecode_backend != 'cv2'
                or data[:2] != _SOI
                or self.color_type not in _SIMPLEJPEG_COLOR_TYPES):
            return None
        if self.color_type == 'color' and has_exif(data) \
                and exif_orientation(data) != 1:
            return None
        try:
            return simplejpeg.decode_jpeg(data, 'BGR')
        except Exception:  # cv2 decodes it or names the fault
            return None


# ``color_type`` values whose cv2 result simplejpeg reproduces.
_SIMPLEJPEG_COLOR_TYPES = ('color', 'color_ignore_orientation')
# JPEG markers (start of image, start of scan, APP1), EXIF's identifier
_SOI = b'\xff\xd8'
_SOS, _APP1 = 0xda, 0xe1
_EXIF_ID = b'Exif\x00\x00'
_EXIF_ORIENTATION = 0x0112


def has_exif(data: bytes) -> bool:
    """Whether a JPEG may hold EXIF data: False only where its segments up
    to the start of scan were all read and none is an APP1 EXIF block
    (a few bytes a segment, where Pillow parses the whole header)."""
    pos = len(_SOI)
    while pos + 4 <= len(data) and data[pos] == 0xff:
        marker = data[pos + 1]
        if marker == 0xff:  # fill byte
            pos += 1
            continue
        if marker == _SOS:
            return False
        if marker == _APP1 and data[pos + 4:pos + 10] == _EXIF_ID:
            return True
        pos += 2 + int.from_bytes(data[pos + 2:pos + 4], 'big')
    return True


def exif_orientation(data: bytes) -> Optional[int]:
    """The EXIF orientation tag of an image file's bytes (1-8; 1 where it
    has none), None where Pillow cannot read the header."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            return int(img.getexif().get(_EXIF_ORIENTATION, 1))
    except Exception:
        return None


__all__ = ['LoadImageFromFile']
