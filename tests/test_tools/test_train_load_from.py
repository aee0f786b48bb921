"""tools/train.py with ``load_from`` a file of another layout: a run at lr 0
ends with the source's weights (resized to the model's grid where it
differs); a file that does not fit the model is refused. And MMPretrain's
fine-tuning idiom (``backbone.init_cfg`` Pretrained) through the runner."""
import re
import sys
from pathlib import Path

import pytest
import torch

from mmdeit.checkpoint import to_mmdeit
from tests.helpers.image_folder import (read_runner_checkpoint,
                                        write_image_folder)
from tests.helpers.repo import run_in_repo
from tests.helpers.tiny_runner import NO_EVALUATION, user_config

timm = pytest.importorskip('timm')

# lr 0 all along: the weights that come out are those loaded; no
# validation or test
SETTINGS = '''
optim_wrapper = dict(optimizer=dict(lr=0.0))
param_scheduler = []
train_cfg = dict(max_epochs=1)
''' + NO_EVALUATION


@pytest.fixture(scope='module')
def config(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp('load_from')
    write_image_folder(root / 'data', 3, (('train', 2), ), size=(36, 36))
    path = root / 'tiny.py'
    path.write_text(user_config(root / 'data', 3, dims=32, layers=2,
                                ffn=128, size=32, train_batch=6) + SETTINGS)
    return path


def official_file(path: Path, embed_dims: int = 32,
                  num_classes: int = 3) -> Path:
    """A timm DeiT-like model with random weights, saved as the official
    DeiT files are: ``{'model': state_dict}`` in timm's names."""
    torch.manual_seed(0)
    model = timm.models.vision_transformer.VisionTransformer(
        img_size=32, patch_size=8, embed_dim=embed_dims, depth=2,
        num_heads=2, mlp_ratio=4, num_classes=num_classes)
    with torch.no_grad():
        for param in model.parameters():  # no zero tokens or heads
            param.add_(torch.randn_like(param) * 0.02)
    torch.save(dict(model=model.state_dict()), path)
    return path


def train(config: Path, work_dir: Path, load_from: Path, *options: str):
    return run_train(config, work_dir, f'load_from={load_from}', *options)


def run_train(config: Path, work_dir: Path, *options: str):
    command = [sys.executable, 'tools/train.py', str(config), '--work-dir',
               str(work_dir), '--cfg-options', *options]
    return run_in_repo(command)


def trained_weights(work_dir: Path) -> dict:
    return read_runner_checkpoint(work_dir / 'epoch_1.pth')['state_dict']


def test_official_file_is_loaded_and_kept(config, tmp_path):
    source = official_file(tmp_path / 'deit_tiny_like-00000000.pth')
    done = train(config, tmp_path / 'work', source)
    assert done.returncode == 0, done.stdout[-4000:]
    assert f'load_from {source}: timm layout, 32 of the 32 tensors of the ' \
        'model loaded' in done.stdout
    expected, _ = to_mmdeit(torch.load(source)['model'])
    weights = trained_weights(tmp_path / 'work')
    assert sorted(weights) == sorted(expected)
    for key, value in expected.items():
        torch.testing.assert_close(weights[key], value, rtol=0, atol=0,
                                   msg=key)


def test_small_grid_file_into_a_larger_model_is_resized(config, tmp_path):
    """The 224 -> 384 fine-tuning case in small: weights for a 4x4 patch
    grid into a model of 6x6, resized as timm's resample_abs_pos_embed
    without anti-aliasing (the official code's plain bicubic)."""
    from timm.layers import resample_abs_pos_embed
    source = official_file(tmp_path / 'small_grid.pth')
    done = train(config, tmp_path / 'work', source,
                 'model.backbone.img_size=48')
    assert done.returncode == 0, done.stdout[-4000:]
    timm_state = torch.load(source)['model']
    weights = trained_weights(tmp_path / 'work')
    expected = resample_abs_pos_embed(
        timm_state['pos_embed'], new_size=[6, 6], num_prefix_tokens=1,
        interpolation='bicubic', antialias=False)
    torch.testing.assert_close(weights['backbone.pos_embed'], expected,
                               rtol=0, atol=0)
    torch.testing.assert_close(weights['backbone.layers.1.ffn.fc2.weight'],
                               timm_state['blocks.1.mlp.fc2.weight'],
                               rtol=0, atol=0)


@pytest.mark.parametrize('embed_dims, num_classes, expected', [
    (48, 3, r'fills only \d of the 32 tensors of ImageClassifier'),
    (32, 5, r"has a head of 5 classes, the model one of 3\. To fine-tune "
     r"from it with a new head, .*prefix='backbone'"),
])
def test_a_file_that_does_not_fit_is_refused(config, tmp_path, embed_dims,
                                             num_classes, expected):
    """Another width: almost nothing fits. Another number of classes: the
    error says how to fine-tune with a new head."""
    source = official_file(tmp_path / 'other.pth', embed_dims, num_classes)
    done = train(config, tmp_path / 'work', source)
    assert done.returncode != 0
    assert 'CheckpointError' in done.stdout and str(source) in done.stdout
    assert re.search(expected, done.stdout), done.stdout[-4000:]
    assert not (tmp_path / 'work' / 'epoch_1.pth').exists()


def test_fine_tuning_idiom_through_the_runner(config, tmp_path):
    """backbone.init_cfg=dict(type='Pretrained', prefix='backbone') with an
    official file of 5 classes into the 3-class config: the runner's
    default scope 'mmdeit' gives mmdeit's initializer, so the backbone is
    the file's and the head new."""
    source = official_file(tmp_path / 'five_classes.pth', num_classes=5)
    done = run_train(config, tmp_path / 'work',
                     'model.backbone.init_cfg.type=Pretrained',
                     f'model.backbone.init_cfg.checkpoint={source}',
                     'model.backbone.init_cfg.prefix=backbone')
    assert done.returncode == 0, done.stdout[-4000:]
    expected, _ = to_mmdeit(torch.load(source)['model'])
    weights = trained_weights(tmp_path / 'work')
    for key, value in expected.items():
        if key.startswith('backbone.'):
            torch.testing.assert_close(weights[key], value, rtol=0, atol=0,
                                       msg=key)
    assert weights['head.fc.weight'].shape == (3, 32)
    assert torch.count_nonzero(weights['head.fc.bias']) == 0
