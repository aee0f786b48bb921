"""Complexity of a model: multiply-accumulates of one image and parameters.

Every operation that multiplies is counted, attention included (the two
matrix products of each head), with torch's ``FlopCounterMode`` on a model
built on the meta device (no memory, no weights, a second or so). GFLOPs are
printed as multiply-accumulates (10^9), the convention of timm and of
current MMPretrain: DeiT-tiny 1.25, DeiT-small 4.60, DeiT-base 17.56.
Element-wise operations (norms, activations, softmax, additions) are
below 0.5 % of these and left out, as both count them.

    python tools/analysis_tools/get_flops.py CONFIG [--shape H W]
    python tools/analysis_tools/get_flops.py --update

CONFIG is a config file or a zoo name. A distillation config counts the
student alone (the teacher serves training only). ``--update`` rewrites
the FLOPs and parameters of every model in configs/deit/metafile.yml and
configs/deit3/metafile.yml and the model-zoo tables of README.md,
configs/deit/README.md and configs/deit3/README.md.
"""
import argparse
import re
from pathlib import Path
from typing import Dict, NamedTuple, Optional, Sequence

import torch
import yaml
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parents[2]
METAFILES = tuple(ROOT / 'configs' / folder / 'metafile.yml'
                  for folder in ('deit', 'deit3'))
TABLES = (ROOT / 'README.md', ROOT / 'configs' / 'deit' / 'README.md',
          ROOT / 'configs' / 'deit3' / 'README.md')


class Complexity(NamedTuple):
    macs: int  # multiply-accumulates of one image
    params: int
    shape: tuple  # (H, W) of the input
    macs_by_op: Dict[str, int]  # aten operator -> multiply-accumulates


def build_student(model):
    """The model of ``model`` (config path, zoo name or Config) on the meta
    device, without its teacher."""
    from mmdeit.models.zoo import build_model_from_config, load_config
    cfg = load_config(model)
    for key in ('teacher', 'distillation', 'init_cfg'):
        cfg.model.pop(key, None)
    with torch.device('meta'):
        net = build_model_from_config(cfg)
    return cfg, net.eval()


def count(model, shape: Optional[Sequence[int]] = None) -> Complexity:
    """Multiply-accumulates and parameters of ``model`` (config path, zoo
    name or Config) for one (3, H, W) image; ``shape`` defaults to the
    backbone's ``img_size``."""
    cfg, net = build_student(model)
    if shape is None:
        size = cfg.model.backbone.get('img_size', 224)
        shape = (size, size) if isinstance(size, int) else tuple(size)
    inputs = torch.empty(1, 3, *shape, device='meta')
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        net(inputs, mode='tensor')
    # The counter counts a multiply and an add as two operations.
    by_op = {str(op).replace('aten.', ''): flops // 2
             for op, flops in counter.get_flop_counts()['Global'].items()}
    params = sum(p.numel() for p in net.parameters())
    return Complexity(counter.get_total_flops() // 2, params, tuple(shape),
                      by_op)


def gflops(macs: int) -> str:
    return f'{macs / 1e9:.2f}'


def mparams(params: int) -> str:
    return f'{params / 1e6:.2f}'


def update_metafile(text: str, counts: Dict[str, Complexity]) -> str:
    """``text`` of the metafile with each model's FLOPs and Parameters."""
    blocks = re.split(r'(?m)^(?=  - Name: )', text)
    for i, block in enumerate(blocks):
        name = re.match(r'  - Name: (\S+)', block)
        if name is None or name.group(1) not in counts:
            continue
        found = counts[name.group(1)]
        block = re.sub(r'(?m)^(\s+FLOPs: )\d+', rf'\g<1>{found.macs}', block)
        blocks[i] = re.sub(r'(?m)^(\s+Parameters: )\d+',
                           rf'\g<1>{found.params}', block)
    return ''.join(blocks)


def update_table(text: str, counts: Dict[str, Complexity]) -> str:
    """``text`` of a README whose model-zoo rows
    ``| [name](...) | params | GFLOPs | ...`` get the counted values."""

    def row(match):
        found = counts.get(match.group(2))
        if found is None:
            return match.group(0)
        return (f'{match.group(1)} {mparams(found.params)} | '
                f'{gflops(found.macs)} |')

    return re.sub(r'(?m)^(\| \[([^\]]+)\]\([^)]*\) \|)[^|]*\|[^|]*\|', row,
                  text)


def metafile_models(metafile: Path) -> list:
    with open(metafile) as f:
        return [entry['Name'] for entry in yaml.safe_load(f)['Models']]


def update_all() -> Dict[str, Complexity]:
    """Count every model of the metafiles and rewrite them and the README
    tables."""
    counts = {}
    for metafile in METAFILES:
        for name in metafile_models(metafile):
            counts[name] = count(name)
            print(f'{name}: {gflops(counts[name].macs)} GFLOPs, '
                  f'{mparams(counts[name].params)} M parameters')
        metafile.write_text(update_metafile(metafile.read_text(), counts))
    for path in TABLES:
        path.write_text(update_table(path.read_text(), counts))
    print('updated ' + ', '.join(str(p.relative_to(ROOT))
                                 for p in METAFILES + TABLES))
    return counts


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', nargs='?',
                        help='config file or zoo name')
    parser.add_argument('--shape', type=int, nargs=2, metavar=('H', 'W'),
                        help='input size (default: the backbone\'s '
                        'img_size)')
    parser.add_argument('--update', action='store_true',
                        help='rewrite the metafiles of configs/deit and '
                        'configs/deit3 and the README tables from the counts')
    args = parser.parse_args(argv)
    if (args.config is None) == (not args.update):
        parser.error('give a CONFIG or --update')
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.update:
        update_all()
        return
    found = count(args.config, args.shape)
    height, width = found.shape
    print(f'{args.config}, input 3 x {height} x {width}')
    print(f'GFLOPs (multiply-accumulates): {gflops(found.macs)} '
          f'({found.macs:,})')
    print(f'Parameters (M): {mparams(found.params)} ({found.params:,})')
    print('by aten operator (attention is bmm):')
    for op, macs in sorted(found.macs_by_op.items(), key=lambda kv: -kv[1]):
        print(f'  {op}: {macs / 1e9:.3f} G')


if __name__ == '__main__':
    main()
