# The baseline of the transfer experiment: the same student, data and
# schedule as deit-tiny-p7_ft-1xb50_fashion-mnist-5to9-100shot.py, trained
# from a random initialisation instead of the pre-trained backbone.
_base_ = ['./deit-tiny-p7_ft-1xb50_fashion-mnist-5to9-100shot.py']

model = dict(backbone=dict(init_cfg=None))
