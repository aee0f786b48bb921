# DeiT's lr curve and loops (official main.py defaults), under every mmdeit
# schedule: 5 linear warm-up epochs from 1e-6, then a cosine to 1e-5 over
# max_epochs (300 here), both updated every iteration; validation after
# every epoch. A schedule adds its optimizer and lr, and restates the curve
# when it changes the length, e.g.
#   max_epochs = 800
#   param_scheduler = [
#       dict(_base_.param_scheduler[0], T_max=max_epochs, end=max_epochs)]
#   train_cfg = dict(max_epochs=max_epochs)
max_epochs = 300

# timm's CosineLRScheduler as DeiT configures it (warm-up not a prefix: after
# warm-up the cosine is at cos(pi * 5 / 300), not at its start). The official
# code steps it once per epoch; here it is evaluated at fractional epochs, so
# it equals timm's values at each epoch start and moves smoothly in between.
param_scheduler = [
    dict(
        type='WarmupCosineLR',
        T_max=max_epochs,
        eta_min=1e-5,
        warmup_length=5,
        warmup_start_lr=1e-6,
        by_epoch=True,
        # explicit, so that a run stopped early (train_cfg.max_epochs) and
        # resumed with more epochs keeps following the same curve
        end=max_epochs,
        convert_to_iter_based=True),
]

train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1)
val_cfg = dict()
test_cfg = dict()
