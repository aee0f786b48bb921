"""tools/analysis_tools/get_flops.py: counts against the closed-form count
of a ViT and the published figures, and the model-zoo tables against the
tool."""
import importlib.util
import re
from pathlib import Path

import pytest
import yaml

import mmdeit

ROOT = Path(__file__).parents[2]
spec = importlib.util.spec_from_file_location(
    'get_flops', ROOT / 'tools' / 'analysis_tools' / 'get_flops.py')
get_flops = importlib.util.module_from_spec(spec)
spec.loader.exec_module(get_flops)

# name -> (embed dims, extra tokens (class, distillation), image size,
# published GFLOPs (multiply-accumulates, attention included: timm's and
# current MMPretrain's tables))
VARIANTS = {
    'deit-tiny_pt-4xb256_in1k': (192, 1, 224, 1.25),
    'deit-tiny-distilled_pt-4xb256_in1k': (192, 2, 224, 1.26),
    'deit-small_pt-4xb256_in1k': (384, 1, 224, 4.60),
    'deit-small-distilled_pt-4xb256_in1k': (384, 2, 224, 4.62),
    'deit-base_pt-16xb64_in1k': (768, 1, 224, 17.56),
    'deit-base-distilled_pt-16xb64_in1k': (768, 2, 224, 17.66),
    'deit-base_ft-16xb32_in1k-384px': (768, 1, 384, 55.48),
    'deit-base-distilled_ft-16xb32_in1k-384px': (768, 2, 384, 55.59),
}


# DeiT III: name -> (embed dims, depth, patch, image size, MMPretrain's
# GFLOPs, which count a little more than the matrix products)
DEIT3_VARIANTS = {
    'deit3-small-p16_64xb64_in1k': (384, 12, 16, 224, 4.61),
    'deit3-small-p16_64xb64_in1k-384px': (384, 12, 16, 384, 15.52),
    'deit3-medium-p16_64xb64_in1k': (512, 12, 16, 224, 8.00),
    'deit3-base-p16_64xb64_in1k': (768, 12, 16, 224, 17.58),
    'deit3-base-p16_64xb32_in1k-384px': (768, 12, 16, 384, 55.54),
    'deit3-large-p16_64xb64_in1k': (1024, 24, 16, 224, 61.60),
    'deit3-large-p16_64xb16_in1k-384px': (1024, 24, 16, 384, 191.21),
    'deit3-huge-p14_64xb32_in1k': (1280, 32, 14, 224, 167.40),
}


def vit_macs(dims, extra_tokens, size, depth=12, patch=16, classes=1000):
    """Multiply-accumulates of a ViT, written out: patch embedding, per
    layer qkv (3 d^2) + projection (d^2) + MLP (8 d^2) per token and the two
    attention products (n^2 d), and one linear head per extra token."""
    patches = (size // patch) ** 2
    tokens = patches + extra_tokens
    layer = 12 * tokens * dims ** 2 + 2 * tokens ** 2 * dims
    return (patches * 3 * patch ** 2 * dims + depth * layer
            + extra_tokens * dims * classes)


@pytest.fixture(scope='module')
def counts():
    return {name: get_flops.count(name) for name in VARIANTS}


@pytest.fixture(scope='module')
def deit3_counts():
    """Every DeiT III zoo model (the 21k-pretrained ones share configs)."""
    names = [name for name in mmdeit.list_models('deit3*')
             if '_pt-' not in name]
    return {name: get_flops.count(name) for name in names}


def test_deit3_counts(deit3_counts):
    for name, (dims, depth, patch, size, published) in \
            DEIT3_VARIANTS.items():
        found = deit3_counts[name]
        assert found.shape == (size, size)
        assert found.macs == vit_macs(dims, 1, size, depth, patch), name
        assert abs(found.macs / 1e9 / published - 1) < 0.003, name
        twin = deit3_counts[name.replace('_64xb', '_in21k-pre_64xb')]
        assert (twin.macs, twin.params) == (found.macs, found.params)


def test_counts_every_multiplication(counts):
    for name, (dims, extra, size, published) in VARIANTS.items():
        found = counts[name]
        assert found.shape == (size, size)
        assert found.macs == vit_macs(dims, extra, size), name
        assert round(found.macs / 1e9, 2) == published, name
    # the distillation token costs a token's work in every layer
    assert counts['deit-tiny-distilled_pt-4xb256_in1k'].macs > \
        counts['deit-tiny_pt-4xb256_in1k'].macs


def test_metafile_agrees_with_the_tool(counts, deit3_counts):
    models = {}
    for metafile in get_flops.METAFILES:
        with open(metafile) as f:
            models.update({m['Name']: m for m in yaml.safe_load(f)['Models']})
    all_counts = dict(counts, **deit3_counts)
    assert set(models) == set(all_counts)
    for name, found in all_counts.items():
        assert models[name]['Metadata']['FLOPs'] == found.macs, name
        assert models[name]['Metadata']['Parameters'] == found.params, name


# the models each table lists
TABLE_MODELS = {
    'README.md': set(VARIANTS) | set(DEIT3_VARIANTS),
    'configs/deit/README.md': set(VARIANTS),
    'configs/deit3/README.md': set(DEIT3_VARIANTS) | {
        name.replace('_64xb', '_in21k-pre_64xb') for name in DEIT3_VARIANTS},
}


@pytest.mark.parametrize('table', get_flops.TABLES,
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_readme_tables_agree_with_the_tool(counts, deit3_counts, table):
    rows = dict(re.findall(r'(?m)^\| \[([^\]]+)\]\([^)]*\) \| ([^|]+\|[^|]+)'
                           r'\|', table.read_text()))
    assert set(rows) == TABLE_MODELS[str(table.relative_to(ROOT))]
    all_counts = dict(counts, **deit3_counts)
    for name in rows:
        found = all_counts[name]
        params, gflops = (cell.strip() for cell in rows[name].split('|'))
        assert (params, gflops) == (f'{found.params / 1e6:.2f}',
                                    f'{found.macs / 1e9:.2f}'), name


def test_update_rewrites_stale_figures(counts):
    name = 'deit-tiny_pt-4xb256_in1k'
    stale = ('  - Name: deit-tiny_pt-4xb256_in1k\n    Metadata:\n'
             '      FLOPs: 1080000000\n      Parameters: 1\n'
             '  - Name: other\n    Metadata:\n      FLOPs: 7\n')
    updated = get_flops.update_metafile(stale, {name: counts[name]})
    assert 'FLOPs: 1253683200\n      Parameters: 5717416\n' in updated
    assert updated.endswith('FLOPs: 7\n')
    row = f'| [{name}](x.py) | 5.00 | 1.08 | 72.2 |\n| [other](y.py) | 1 | 2 |'
    assert get_flops.update_table(row, {name: counts[name]}) == (
        f'| [{name}](x.py) | 5.72 | 1.25 | 72.2 |\n| [other](y.py) | 1 | 2 |')


def test_cli_other_shape(capsys):
    get_flops.main(['deit-tiny_pt-4xb256_in1k', '--shape', '160', '160'])
    out = capsys.readouterr().out
    macs = vit_macs(192, 1, 160)
    assert f'GFLOPs (multiply-accumulates): {macs / 1e9:.2f} ({macs:,})' in out
    assert 'Parameters (M): 5.72' in out
    with pytest.raises(SystemExit):
        get_flops.main([])
