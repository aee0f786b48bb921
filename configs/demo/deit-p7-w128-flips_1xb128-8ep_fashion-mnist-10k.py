# The demo's student without distillation, with flips as its only
# augmentation: what the strong crops cost the plain student, and why the
# demo keeps them (docs/demo.md). tools/demo.py --models student flips.
_base_ = ['./deit-p7-w128_1xb128-8ep_fashion-mnist-10k.py']

train_pipeline = _base_.flips_pipeline
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
