"""How often the teacher's fast forms (BatchNorm folded, channels_last,
bf16) change its arg-max, the label hard distillation learns, against fp32
as it was trained, on real images.

    # a trained teacher on its config's test set
    python tools/analysis_tools/teacher_agreement.py --config CONFIG \
        --checkpoint CKPT [--cfg-options key=value ...]
    # a RegNetY-16GF-shaped network on photos (random weights, BatchNorm
    # statistics measured on the photos)
    python tools/analysis_tools/teacher_agreement.py --photos DIR \
        [--config regnety-16gf_in1k] [--crops 4]

With ``--topk K ...``, it also tells what soft distillation from recorded
top-k logits loses on those images: the soft loss (at ``--tau``) of a
student (``--student`` config, random weights) against the top-k
reconstruction and against the full logits, and the distance between the
two teacher distributions. The logic is in
mmdeit/benchmarks/distillation.py.
"""
import argparse

import torch
from mmengine.config import DictAction

from mmdeit.benchmarks import distillation as bench
from mmdeit.models.zoo import get_model
from mmdeit.utils import register_all_modules

COLUMNS = dict(part='teacher', images='images', same='arg-max = fp32',
               agree='agreement', max_error='max rel. logit error',
               close_calls='close calls', top1='top-1')
TOPK = dict(k='k', bytes='bytes / image', loss_full='loss, full logits',
            loss_topk='loss, top-k', loss_change='change',
            tv='TV distance', kl='KL(full || top-k)')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default='regnety-16gf_in1k')
    parser.add_argument('--checkpoint', default=None)
    parser.add_argument('--photos', default=None,
                        help='a folder of JPEG photos (searched recursively)')
    parser.add_argument('--crops', type=int, default=4)
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--topk', type=int, nargs='*', default=[])
    parser.add_argument('--tau', type=float, default=3.0)
    parser.add_argument('--student', default=None,
                        help='config of the student whose soft loss is '
                        'compared (random weights; default: the teacher '
                        'config with another seed)')
    parser.add_argument('--threads', type=int, default=None)
    return parser.parse_args()


def main():
    args = parse_args()
    register_all_modules()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    network = get_model(args.config, pretrained=args.checkpoint or False)
    if args.photos:
        batches = bench.photo_batches(args.photos, args.crops,
                                      batch_size=args.batch_size)
        bench.calibrate(network, batches, labels=False)
        source = (f'{sum(len(b["inputs"]) for b in batches)} crops of the '
                  f'photos in {args.photos}; random weights, BatchNorm '
                  'statistics of the crops')
    else:
        batches = bench.dataset_batches(args.config, 'test', args.batch_size,
                                        args.cfg_options)
        source = f'{args.checkpoint}, its config\'s test set'
    print(f'{args.config}: {source}\n{bench.machine_line()}\n')
    print(bench.format_table(bench.agreement_on_batches(network, batches),
                             COLUMNS))
    if args.topk:
        torch.manual_seed(1)
        student = get_model(args.student or args.config,
                            **({} if args.student is None else dict(
                                head=dict(num_classes=network.head
                                          .num_classes))))
        with torch.no_grad():
            inputs = [network.data_preprocessor(b)['inputs'] for b in batches]
            teacher = torch.cat([network(x) for x in inputs])
            ours = torch.cat([student(x) for x in inputs])
        print(f'\nsoft distillation at tau {args.tau} from top-k logits, '
              f'student {args.student or args.config} (random weights)')
        print(bench.format_table(
            bench.topk_loss_rows(teacher, ours, args.topk, args.tau),
            TOPK))


if __name__ == '__main__':
    main()
