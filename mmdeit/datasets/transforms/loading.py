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
"""
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import LoadImageFromFile as MMCVLoadImageFromFile
from mmengine import fileio

from mmdeit.registry import TRANSFORMS
from ..fetching import UnreadableImageError


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
            img = mmcv.imfrombytes(data, flag=self.color_type,
                                   backend=self.imdecode_backend)
        except Exception as error:
            raise UnreadableImageError(
                f'{path}: not a decodable image ({error})', path) from error
        if img is None:
            raise UnreadableImageError(
                f'{path}: not a decodable image ({len(data)} bytes)', path)
        return img


__all__ = ['LoadImageFromFile']
