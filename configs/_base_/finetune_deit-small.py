# DeiT-small fine-tuned from the released ImageNet-1k weights
# (./models/in1k_weights.py): the backbone is loaded from the checkpoint, the
# head is new. No stochastic depth, as the authors fine-tuned on the small
# transfer sets (facebookresearch/deit issue #45). A config in
# configs/finetune/<set>/ adds the dataset, the schedule (which says where
# each value comes from), the head's class count and the teacher fine-tuned
# on the same set (`finetuned_teacher`, for the distilled students).
_base_ = [
    './models/deit-small.py',
    './default_runtime.py',
    './models/in1k_weights.py',
]

model = dict(
    backbone=dict(_base_.in1k_weights.deit_small.backbone, drop_path_rate=0.0))
