"""Convert a Hugging Face transformers DeiT model to an mmdeit checkpoint.

    python tools/model_converters/hf_to_mmdeit.py SRC DST.pth

SRC: a model folder (config.json with model.safetensors or
pytorch_model.bin), e.g. a local copy of
facebook/deit-base-distilled-patch16-224, or its model.safetensors; one of
``DeiTForImageClassificationWithTeacher``, ``DeiTForImageClassification``,
``DeiTModel`` or (DeiT without distillation, as the Hub has it)
``ViTForImageClassification`` / ``ViTModel``. The result
is ``{'state_dict': ..., 'meta': ...}`` in mmdeit's names; the meta keeps the
config's LayerNorm eps (``norm_eps``) and class names (``dataset_meta``). A
key that would not be used (e.g. the pooler of a ``DeiTModel``), a missing
parameter or a shape that does not fit stops the conversion with the full
list.
"""
from mmdeit.apis.conversion import import_main


def main(argv=None) -> str:
    return import_main('hf', __doc__, argv)


if __name__ == '__main__':
    main()
