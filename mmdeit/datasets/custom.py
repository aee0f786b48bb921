"""Images in class sub-folders, or listed in an annotation file."""
import logging
import os
from typing import Dict, List, Optional, Sequence, Tuple, Union

from mmengine.logging import print_log

from mmdeit.registry import DATASETS
from mmdeit.utils.config_errors import ConfigPathError
from .base_dataset import BaseDataset

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif',
                  '.tiff', '.webp')


@DATASETS.register_module()
class CustomDataset(BaseDataset):
    """A folder of images, in one of two layouts under
    ``data_root/data_prefix``:

    - no ``ann_file``: ``<class>/**/<image>``. The sorted sub-folder names
      are the classes, and a folder's position is its class index. With
      ``classes`` given, folders named after the classes take their index;
      otherwise their number must match. With ``with_label=False``: every
      image found in the folder, recursively, unlabelled.
    - ``ann_file``: one image per line, ``<path relative to the prefix>
      <class index>`` (only the path with ``with_label=False``).

    Args:
        data_root: root of ``data_prefix`` and ``ann_file``.
        data_prefix: the image folder (str or ``dict(img_path=...)``).
        ann_file: the annotation file, or '' to scan folders.
        classes: class names, or a file of one per line.
        with_label: whether samples carry a ``gt_label``.
        extensions: image suffixes (any case) looked for when scanning.
        **kwargs: ``metainfo``, ``pipeline``, ``test_mode``, ``lazy_init``...
            of :class:`BaseDataset`.

    Missing paths raise ``FileNotFoundError`` naming them at construction,
    before anything is read; a malformed annotation line raises
    ``ValueError`` naming the file and line. ``metainfo['classes']`` comes
    from ``classes``/``metainfo``, else from the sub-folders (set when the
    data list is loaded).
    """

    def __init__(self,
                 data_root: str = '',
                 data_prefix: Union[str, dict] = '',
                 ann_file: str = '',
                 classes: Union[str, Sequence[str], None] = None,
                 with_label: bool = True,
                 extensions: Sequence[str] = IMG_EXTENSIONS,
                 **kwargs):
        if not (data_root or data_prefix or ann_file):
            raise ValueError(
                f'{type(self).__name__} needs data_root, data_prefix or '
                'ann_file')
        self.with_label = with_label
        self.extensions = tuple(ext.lower() for ext in extensions)
        # as the config gives them, for the errors of _join_prefix
        self._given = dict(data_root=data_root, data_prefix=data_prefix,
                           ann_file=ann_file)
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=data_prefix,
            classes=classes,
            **kwargs)

    def _join_prefix(self):
        # mmengine joins the paths first thing in __init__: check them here,
        # before the pipeline is built and the data list loaded.
        super()._join_prefix()
        owner = type(self).__name__
        if self.data_root and not os.path.isdir(self.data_root):
            raise ConfigPathError('data_root', self._given['data_root'],
                                  'must be an existing folder', owner)
        if self.ann_file and not os.path.isfile(self.ann_file):
            raise ConfigPathError(
                'ann_file', self._given['ann_file'], 'must be an existing '
                f'file under data_root ({self.ann_file!r} is not)', owner)
        if self.img_prefix and not os.path.isdir(self.img_prefix):
            raise ConfigPathError(
                'data_prefix', self._given['data_prefix'], 'must be an '
                f'existing folder under data_root ({self.img_prefix!r} is '
                'not)', owner)

    def load_data_list(self) -> List[dict]:
        if self.ann_file:
            return self._read_ann_file()
        if self.with_label:
            return self._scan_class_folders()
        prefix = self.img_prefix or '.'
        images = self._find_images(prefix)
        if not images:
            raise ValueError(self._no_images_message(prefix))
        return [dict(img_path=os.path.join(prefix, image)) for image in images]

    def _read_ann_file(self) -> List[dict]:
        classes = self._metainfo.get('classes')
        data_list = []
        with open(self.ann_file) as f:
            for line_no, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                if not self.with_label:
                    data_list.append(
                        dict(img_path=os.path.join(self.img_prefix, line)))
                    continue
                path, label = self._parse_line(line, line_no, classes)
                data_list.append(dict(
                    img_path=os.path.join(self.img_prefix, path),
                    gt_label=label))
        return data_list

    def _parse_line(self, line: str, line_no: int,
                    classes: Optional[Sequence[str]]) -> Tuple[str, int]:
        """``'<path> <index>'`` -> (path, index); the path may hold spaces."""
        where = f'{self.ann_file}, line {line_no}'
        parts = line.rsplit(maxsplit=1)
        try:
            label = int(parts[1]) if len(parts) == 2 else None
        except ValueError:
            label = None
        if label is None:
            raise ValueError(f'{where}: expected "<image path> <class '
                             f'index>", got {line!r}')
        if label < 0 or (classes is not None and label >= len(classes)):
            bound = '' if classes is None else f', {len(classes)}'
            raise ValueError(
                f'{where}: class index {label} is outside [0{bound})')
        return parts[0], label

    def _scan_class_folders(self) -> List[dict]:
        prefix = self.img_prefix or '.'
        folders = sorted(entry.name for entry in os.scandir(prefix)
                         if entry.is_dir())
        if not folders:
            raise ValueError(
                f'no class sub-folders in {prefix!r}; a flat folder of images '
                'needs an annotation file of "<path> <class index>" lines')
        folder_to_index = self._folder_to_index(folders)
        data_list = []
        for folder in folders:
            images = self._find_images(os.path.join(prefix, folder))
            if not images:
                print_log(f'class folder {os.path.join(prefix, folder)!r} '
                          'holds no images', logger='current',
                          level=logging.WARNING)
            data_list.extend(
                dict(img_path=os.path.join(prefix, folder, image),
                     gt_label=folder_to_index[folder]) for image in images)
        if not data_list:
            raise ValueError(self._no_images_message(prefix))
        return data_list

    def _folder_to_index(self, folders: List[str]) -> Dict[str, int]:
        """Class index of each sub-folder (sorted names); sets
        ``metainfo['classes']`` to the folder names if it has none."""
        classes = self._metainfo.get('classes')
        if classes is None:
            self._metainfo['classes'] = tuple(folders)
            return {folder: i for i, folder in enumerate(folders)}
        if set(folders) <= set(classes):
            index = {name: i for i, name in enumerate(classes)}
            return {folder: index[folder] for folder in folders}
        if len(folders) != len(classes):
            raise ValueError(
                f'{len(folders)} class folders in {self.img_prefix!r} but '
                f'{len(classes)} classes given, and the folders are not '
                'named after the classes')
        return {folder: i for i, folder in enumerate(folders)}

    def _find_images(self, folder: str) -> List[str]:
        """Paths relative to ``folder`` of the images under it, sorted."""
        images = []
        for root, dirs, files in os.walk(folder, followlinks=True):
            dirs.sort()
            rel_root = os.path.relpath(root, folder)
            for name in sorted(files):
                if name.lower().endswith(self.extensions):
                    images.append(os.path.normpath(
                        os.path.join(rel_root, name)))
        return images

    def _no_images_message(self, prefix: str) -> str:
        return (f'no images with extensions {self.extensions} under '
                f'{prefix!r}')
