"""The errors the checkpoint functions raise for a file they cannot use."""
import os.path as osp
from typing import Optional
from urllib.parse import urlparse


class CheckpointError(RuntimeError):
    """A checkpoint could not be read or does not fit the model."""


class DownloadError(CheckpointError):
    """A URL that could not be fetched. The message names the URL and the
    reason, the cache path where a file fetched by hand is found, and (with
    ``key``) the setting that takes a local path instead.

    Args:
        url: what was being fetched.
        reason: why it failed (the network error, in words).
        cache_path: where the download would have been kept.
        key: the setting that named the URL, e.g.
            ``'model.teacher.checkpoint'`` or ``'pretrained'``.
    """

    def __init__(self, url: str, reason: str, cache_path: str,
                 key: Optional[str] = None):
        self.url = url
        self.reason = reason
        self.cache_path = cache_path
        self.key = key
        name = osp.basename(urlparse(url).path) or 'the file'
        instead = f'set {key}=PATH' if key else 'give its path'
        super().__init__(
            f'could not download {url}: {reason}. Without network, fetch '
            f'{name} elsewhere and put it at {cache_path} (the download '
            'cache, in torch hub\'s folder: $TORCH_HOME), where every run '
            f'finds it, or keep it anywhere and {instead} instead of the URL')

    def naming(self, key: str) -> 'DownloadError':
        """The same error, naming ``key`` as the setting to change."""
        return DownloadError(self.url, self.reason, self.cache_path, key)
