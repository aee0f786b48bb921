"""Export an mmdeit model to a Hugging Face transformers folder.

    python tools/model_converters/mmdeit_to_hf.py CONFIG CKPT OUT_DIR

CONFIG: a config file or zoo name; CKPT: its weights in any layout mmdeit
reads (the position embedding is resized to the config's image size).
OUT_DIR receives config.json, model.safetensors and preprocessor_config.json
(a DeiTImageProcessor written from the config's test pipeline and data
preprocessor: resize, centre crop, mean/std; what transformers cannot do as
the pipeline does is printed). A distilled model with two heads becomes
``DeiTForImageClassificationWithTeacher``, one with a single head
``DeiTForImageClassification``, a model without distillation token
``ViTForImageClassification`` (as the Hub's facebook/deit-* models); each
loads with ``AutoModelForImageClassification.from_pretrained(OUT_DIR)``.
Class names come from the checkpoint's ``meta['dataset_meta']``, else
ImageNet-1k's for 1000 classes.
"""
import argparse

from mmdeit.apis import get_model
from mmdeit.checkpoint import default_classes, read_checkpoint, save_hf
from mmdeit.datasets.categories import IMAGENET_CATEGORIES


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file or zoo name')
    parser.add_argument('checkpoint', help='checkpoint path, URL or folder')
    parser.add_argument('out_dir', help='output folder')
    args = parser.parse_args(argv)
    model = get_model(args.config, pretrained=args.checkpoint)
    meta = read_checkpoint(args.checkpoint).get('meta')
    classes = default_classes(model.head.num_classes, meta,
                              IMAGENET_CATEGORIES)
    notes = save_hf(model, args.out_dir, classes=classes)
    print(f'{args.checkpoint} -> {args.out_dir}')
    for note in notes:
        print(f'note: {note}')
    return args.out_dir


if __name__ == '__main__':
    main()
