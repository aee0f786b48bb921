"""Evaluate a checkpoint on the config's test set and print its metrics.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE]
        [--out-item metrics|pred] [--compile] [--precision fp32|bf16|auto]
        [--trust-checkpoint] [--real REAL_JSON] [--v2 V2_FOLDER]
        [--cfg-options key=value ...] [--launcher none|pytorch|slurm]

CHECKPOINT is a path or URL in any layout mmdeit reads (its own or
mmengine's training checkpoints, official DeiT/timm, MMPretrain, Hugging
Face). The metrics are printed as a Markdown table (one column per head for
a distilled model) and written as JSON to WORK_DIR/test_metrics.json and,
with ``--out``, to that file too. With ``--out-item pred``, ``--out``
receives every image's label and per-head class scores instead (a torch
file of tensors; see ``mmdeit.evaluation.read_predictions``), which
tools/analysis_tools/confusion_matrix.py reads. ``--precision bf16`` runs
the backbone with its weights cast to bfloat16 once (``auto``: where the CPU
has AVX512-BF16 or AMX, or the GPU supports bf16); images and scores stay
float32.

``--real`` scores the ImageNet validation set against its ReaL labels too
(``real.json``), ``--v2`` evaluates on ImageNetV2 as well (the folder of
class folders ``0/`` to ``999/``); the ImageNet, ReaL and V2 top-1 are then
printed side by side as in the DeiT papers' table.
"""
import argparse
import json
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.dist import is_main_process
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from mmdeit.checkpoint import load_pretrained
from mmdeit.engine.imagenet_test_sets import (add_real_labels,
                                              evaluate_imagenet_v2)
from mmdeit.engine.run_config import check_data, for_testing
from mmdeit.evaluation.tables import imagenet_table, metrics_table
from mmdeit.models.utils import compile_model, inference_compile_options
from mmdeit.models.utils.precision import (PRECISIONS, resolve_precision,
                                           set_inference_precision)
from mmdeit.registry import RUNNERS
from mmdeit.utils import (configure_cuda_transfers, finish_distributed,
                          register_all_modules, setup_cpu_distributed)
from mmdeit.utils.config_paths import named_config_errors


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Evaluate a checkpoint')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint path or URL')
    parser.add_argument(
        '--work-dir',
        help='where logs and the metrics go (default: '
        './work_dirs/<config name>)')
    parser.add_argument(
        '--out', help='also write the metrics (JSON), or with --out-item '
        'pred the predictions, to this file')
    parser.add_argument(
        '--out-item',
        choices=['metrics', 'pred'],
        default='metrics',
        help='what --out receives: the metrics (default) or every '
        "image's label and class scores per head")
    parser.add_argument(
        '--real', metavar='REAL_JSON',
        help='also score the test set (ImageNet val) against the '
        'ImageNet-ReaL labels of this real.json')
    parser.add_argument(
        '--v2', metavar='V2_FOLDER',
        help='also evaluate on ImageNetV2 (the folder holding 0/ to 999/)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. test_dataloader.batch_size=32')
    parser.add_argument(
        '--compile',
        action='store_true',
        help='torch.compile the backbone and head (config key "compile": '
        'True or a dict of torch.compile arguments)')
    parser.add_argument(
        '--precision',
        choices=PRECISIONS,
        default='fp32',
        help='fp32; bf16: the backbone in bfloat16, its weights cast once; '
        'auto: bf16 where the device has bf16 units')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='read CHECKPOINT even if it needs full unpickling, which can '
        'run code: only for files you trust')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm'],
        default='none',
        help='how the processes were started')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if args.out_item == 'pred' and not args.out:
        parser.error('--out-item pred needs --out FILE')
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def to_json(value):
    """Metrics as JSON values (tensors and numpy numbers become floats or
    lists)."""
    if hasattr(value, 'tolist'):
        return value.tolist()
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    return value


def add_prediction_dump(cfg: Config, out: str) -> None:
    """Evaluate with the config's metrics plus one that keeps every
    prediction in ``out``."""
    evaluators = cfg.test_evaluator
    evaluators = list(evaluators) if isinstance(evaluators, (list, tuple)) \
        else [evaluators]
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    cfg.test_evaluator = evaluators + [dict(type='DumpPredictions',
                                            out_file=osp.abspath(out))]


def main(argv=None) -> dict:
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    # only the test part is used: a config that cannot train still tests
    cfg = for_testing(cfg, args.config)
    cfg.launcher = args.launcher
    if args.compile:
        cfg.compile = True
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    # Weights come from CHECKPOINT through mmdeit's loader, which knows the
    # foreign layouts; mmengine's own loading stays off.
    cfg.load_from = None
    cfg.resume = False
    if args.out_item == 'pred':
        add_prediction_dump(cfg, args.out)
    if args.real:
        add_real_labels(cfg, args.real)
    setup_cpu_distributed(cfg, cfg.launcher)
    configure_cuda_transfers(cfg)  # pinned memory, non-blocking copies

    # a wrong value ends in a line naming its key, the value and what is
    # allowed
    with named_config_errors(cfg):
        # the data first: a missing dataset is told before a teacher
        # downloads
        check_data(cfg, ['test_dataloader'])
        runner = RUNNERS.build(cfg) if 'runner_type' in cfg \
            else Runner.from_cfg(cfg)
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        load_pretrained(model, args.checkpoint,
                        trusted=args.trust_checkpoint)
        device = next(model.parameters()).device
        set_inference_precision(model,
                                resolve_precision(args.precision, device))
        # mmengine compiles for training only; testing can freeze the
        # weights
        compile_model(model, inference_compile_options(cfg.get('compile')))
        metrics = to_json(runner.test())
        if args.v2:
            metrics.update(
                to_json(evaluate_imagenet_v2(runner, cfg, args.v2)))

    if is_main_process():
        print(f'\n{args.checkpoint}\n\n{metrics_table(metrics)}\n',
              flush=True)
        if args.real or args.v2:
            print(f'{imagenet_table(args.checkpoint, metrics)}\n',
                  flush=True)
        record = dict(config=args.config, checkpoint=args.checkpoint,
                      metrics=metrics)
        paths = [osp.join(cfg.work_dir, 'test_metrics.json')]
        if args.out and args.out_item == 'metrics':
            paths.append(args.out)
        for path in paths:
            os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
            with open(path, 'w') as f:
                json.dump(record, f, indent=2)
    finish_distributed()
    return metrics


if __name__ == '__main__':
    main()
