"""Photo-like test images and PIL conversions for the transform tests."""
import cv2
import numpy as np
from PIL import Image


def make_photo(height: int = 180, width: int = 240,
               seed: int = 0) -> np.ndarray:
    """A photo-like BGR uint8 image: smooth shading, a few sharp-edged
    shapes and mild sensor noise, covering most of the 0-255 range."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.stack([
        110 + 70 * np.sin(x / 23 + y / 41),
        120 + 60 * np.cos(y / 17 - x / 53),
        100 + 90 * (x / width) - 40 * (y / height),
    ], axis=-1)
    cv2.circle(img, (width // 3, height // 2), height // 4, (40, 210, 70), -1)
    cv2.rectangle(img, (width // 2, height // 5), (width - 20, height // 2),
                  (230, 60, 20), -1)
    cv2.line(img, (0, height - 15), (width - 1, height // 3), (5, 5, 250), 3)
    img += rng.normal(0, 5, img.shape).astype(np.float32)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def to_pil(bgr: np.ndarray) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(bgr[:, :, ::-1]))


def from_pil(img: Image.Image) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(img)[:, :, ::-1])

