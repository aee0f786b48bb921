"""The test sets of the DeiT papers' robustness table (DeiT Table 5):
ImageNet-1k val, scored also against its ReaL labels, and ImageNetV2."""
import copy

from mmengine.config import Config
from mmengine.runner import Runner, TestLoop

# Prefix of the ImageNetV2 metrics beside the config's own test set's.
V2_PREFIX = 'v2/'
# test metrics that do not apply to ImageNetV2
NOT_FOR_V2 = ('ReaLAccuracy', 'DumpPredictions')


def add_real_labels(cfg: Config, real_json: str) -> None:
    """Score the config's test set (ImageNet-1k val) against the ReaL
    labels of ``real_json`` too, in the same pass (``real/top1``...)."""
    evaluators = cfg.test_evaluator
    evaluators = list(evaluators) if isinstance(evaluators, (list, tuple)) \
        else [evaluators]
    cfg.test_evaluator = evaluators + [
        dict(type='ReaLAccuracy', real_json=real_json)]


def imagenet_v2_dataloader(cfg: Config, data_root: str) -> dict:
    """The config's test dataloader on ImageNetV2 at ``data_root``: same
    batch, sampler and pipeline, the dataset replaced."""
    loader = copy.deepcopy(cfg.test_dataloader)
    pipeline = loader['dataset']['pipeline']
    loader['dataset'] = dict(type='ImageNetV2', data_root=data_root,
                             pipeline=pipeline)
    return loader


def evaluate_imagenet_v2(runner: Runner, cfg: Config,
                         data_root: str) -> dict:
    """Evaluate ``runner``'s model on ImageNetV2 with the config's test
    metrics (but ReaL's, which belongs to ImageNet val, and a prediction
    dump); the metrics come back prefixed ``v2/`` (``v2/accuracy/top1``...).
    """
    evaluators = cfg.test_evaluator
    evaluators = list(evaluators) if isinstance(evaluators, (list, tuple)) \
        else [evaluators]
    metrics = [e for e in evaluators if e['type'] not in NOT_FOR_V2]
    loop = TestLoop(runner, imagenet_v2_dataloader(cfg, data_root), metrics)
    return {V2_PREFIX + name: value for name, value in loop.run().items()}
