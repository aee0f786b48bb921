"""mmdeit: DeiT, the data-efficient image transformers, on mmengine."""
from .version import __version__

__all__ = ['__version__']
