"""Whether a model exported to Hugging Face transformers predicts what the
model's own evaluation predicts: transformers' ``image-classification``
pipeline (the exported image processor and model) against mmdeit's
inferencer (the config's test pipeline, data preprocessor and model), image
by image on the config's test set."""
import os.path as osp
import tempfile
from typing import Dict, List, Optional, Sequence, Tuple

from mmdeit.apis import ImageClassificationInferencer, get_model
from mmdeit.checkpoint import default_classes, read_checkpoint, save_hf
from mmdeit.datasets.categories import IMAGENET_CATEGORIES
from mmdeit.registry import DATASETS
from mmdeit.utils import register_all_modules


def test_set_images(cfg, max_images: Optional[int] = None
                ) -> Tuple[List[str], List[int]]:
    """(paths, labels) of the first ``max_images`` images of the config's
    test set."""
    register_all_modules()
    dataset = DATASETS.build(dict(cfg.test_dataloader.dataset, pipeline=[]))
    count = len(dataset) if max_images is None else \
        min(max_images, len(dataset))
    infos = [dataset.get_data_info(i) for i in range(count)]
    return [info['img_path'] for info in infos], \
        [int(info['gt_label']) for info in infos]


def hf_predictions(folder: str, paths: Sequence[str],
                   batch_size: int = 64) -> List[int]:
    """The top-1 class index transformers' ``image-classification``
    pipeline gives each image, for the model folder ``folder``."""
    import transformers
    classifier = transformers.pipeline('image-classification', model=folder,
                                       device='cpu')
    label2id: Dict[str, int] = {}
    for index, name in sorted(classifier.model.config.id2label.items()):
        label2id.setdefault(name, int(index))
    answers = classifier(list(paths), batch_size=batch_size, top_k=1)
    return [label2id[answer[0]['label']] for answer in answers]


def hf_agreement(config: str, checkpoint: str,
                 out_dir: Optional[str] = None,
                 max_images: Optional[int] = None,
                 batch_size: int = 64) -> dict:
    """Export ``checkpoint`` (any layout mmdeit reads) with the ``config``
    to a transformers folder (``out_dir``, default a temporary one) and
    compare, on the config's test images, transformers' predictions with
    the model's own.

    Returns dict(images, agreement (% of images with the same top-1 class),
    mmdeit_top1, hf_top1 (% against the labels), differing (paths where the
    two disagree), notes (what the exported image processor does otherwise
    than the test pipeline)).
    """
    model = get_model(config, pretrained=checkpoint)
    classes = default_classes(model.head.num_classes,
                              read_checkpoint(checkpoint).get('meta'),
                              IMAGENET_CATEGORIES)
    paths, labels = test_set_images(model.cfg, max_images)
    with tempfile.TemporaryDirectory() as scratch:
        folder = out_dir or osp.join(scratch, 'hf')
        notes = save_hf(model, folder, classes=classes)
        theirs = hf_predictions(folder, paths, batch_size)
    ours = [result['pred_label'] for result in ImageClassificationInferencer(
        model)(paths, batch_size=batch_size, show_progress=False)]
    count = len(paths)
    return dict(
        images=count,
        agreement=100 * sum(a == b for a, b in zip(ours, theirs)) / count,
        mmdeit_top1=100 * sum(a == y for a, y in zip(ours, labels)) / count,
        hf_top1=100 * sum(b == y for b, y in zip(theirs, labels)) / count,
        differing=[path for path, a, b in zip(paths, ours, theirs)
                   if a != b],
        notes=notes)
