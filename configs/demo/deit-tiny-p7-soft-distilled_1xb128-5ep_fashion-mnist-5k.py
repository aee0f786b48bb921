# The demo's student with soft distillation, in the data-efficient regime
# (5,000 images, 5 epochs): the distillation head matches the teacher's
# softened distribution, loss = 0.9 * CE(class head, labels)
# + 0.1 * tau^2 * KL(teacher / tau || student / tau), tau = 3, the paper's
# soft setting. See the hard-distilled config for the teacher.
_base_ = ['./deit-tiny-p7-hard-distilled_1xb128-5ep_fashion-mnist-5k.py']

model = dict(distillation=dict(type='soft', alpha=0.1, tau=3.0))
