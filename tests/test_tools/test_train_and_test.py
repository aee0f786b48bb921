"""End to end: tools/train.py, resume, tools/test.py and the torchrun scripts
on a user config written the MMPretrain way (the repo's DeiT-tiny config as
base, a CustomDataset folder, a tiny arch, 3 classes)."""
import json
import socket
import sys
from pathlib import Path

import pytest
import torch

import mmdeit
from tests.helpers.image_folder import (read_runner_checkpoint as read,
                                        write_image_folder)
from tests.helpers.repo import run_in_repo
from tests.helpers.tiny_runner import user_config as tiny_user_config

CLASSES = 3
# 12 training images in batches of 6: 2 iterations per epoch.
QUIET = ['default_hooks.logger.interval=1']


@pytest.fixture(scope='module')
def user_config(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp('deit_e2e')
    # JPEG and PNG files both
    write_image_folder(root / 'data', CLASSES, (('train', 4), ('val', 2)),
                       size=(40, 48), formats=('jpg', 'png'))
    config = root / 'my_deit.py'
    config.write_text(tiny_user_config(
        root / 'data', CLASSES, dims=32, layers=2, size=32, train_batch=6,
        deit_augment=True))
    return config


def run(*command: str, env: dict = None) -> str:
    done = run_in_repo(command, env)
    assert done.returncode == 0, done.stdout[-6000:]
    return done.stdout


def logged_lrs(work_dir: Path) -> list:
    """lr of every training iteration, over all runs in the work dir."""
    lrs = {}
    for scalars in sorted(work_dir.glob('*/vis_data/scalars.json')):
        for line in scalars.read_text().splitlines():
            record = json.loads(line)
            if 'lr' in record:
                lrs[record['iter']] = record['lr']
    return [lrs[i] for i in sorted(lrs)]


def warmup_lr(step: int) -> float:
    """The schedule in its first epochs: 5 warm-up epochs of 2 iterations
    from 1e-6 to the lr scaled to one process of 6 images, 5e-4 * 6 /
    512."""
    return 1e-6 + (5e-4 * 6 / 512 - 1e-6) * step / 10


def test_train_resume_and_test(user_config, tmp_path):
    work_dir = tmp_path / 'work'
    train = [sys.executable, 'tools/train.py', str(user_config),
             '--work-dir', str(work_dir)]
    run(*train, '--cfg-options', 'train_cfg.max_epochs=1', *QUIET)
    first = read(work_dir / 'epoch_1.pth')
    assert (first['meta']['epoch'], first['meta']['iter']) == (1, 2)

    # resume from the work dir's latest checkpoint, in bf16 autocast
    out = run(*train, '--resume', '--amp', '--cfg-options',
              'train_cfg.max_epochs=2', *QUIET)
    assert 'resumed epoch: 1, iter: 2' in out
    second = read(work_dir / 'epoch_2.pth')
    assert (second['meta']['epoch'], second['meta']['iter']) == (2, 4)
    # the optimizer and the scheduler went on where they stopped
    steps = {int(s['step']) for s in second['optimizer']['state'].values()}
    assert steps == {4}
    assert second['param_schedulers'][0]['last_step'] == 4
    assert logged_lrs(work_dir) == pytest.approx(
        [warmup_lr(step) for step in range(4)], rel=1e-9)
    assert not torch.equal(first['state_dict']['backbone.pos_embed'],
                           second['state_dict']['backbone.pos_embed'])

    out_file = tmp_path / 'metrics.json'
    checkpoint = str(work_dir / 'epoch_2.pth')
    out = run(sys.executable, 'tools/test.py', str(user_config), checkpoint,
              '--work-dir', str(work_dir), '--out', str(out_file))
    table = out.split(f'{checkpoint}\n\n')[-1].splitlines()
    assert table[:2] == ['| metric | value |', '| --- | ---: |']
    names = [line.split('|')[1].strip() for line in table[2:4]]
    assert names == ['accuracy/top1', 'accuracy/top5']
    record = json.loads(out_file.read_text())
    assert record == json.loads((work_dir / 'test_metrics.json').read_text())
    metrics = record['metrics']
    # the top-1 of the checkpoint's own predictions on the 6 val images
    assert metrics['accuracy/top1'] == pytest.approx(
        val_top1(user_config, checkpoint))
    assert f'{metrics["accuracy/top1"]:.2f}' in table[2]


def val_top1(config: Path, checkpoint: str) -> float:
    """Top-1 (%) of the checkpoint on the config's val images, predicted
    one image at a time by the inferencer."""
    inferencer = mmdeit.ImageClassificationInferencer(
        str(config), pretrained=checkpoint)
    images = sorted(Path(inferencer.model.cfg.data_root, 'val').glob('*/*'))
    predictions = inferencer([str(p) for p in images], batch_size=1,
                             show_progress=False)
    correct = [p['pred_label'] == int(path.parent.name[-1])
               for p, path in zip(predictions, images)]
    assert len(correct) == 6
    return 100 * sum(correct) / len(correct)


def free_port() -> str:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return str(sock.getsockname()[1])


def test_dist_train_and_test_two_cpu_processes(user_config, tmp_path):
    work_dir = tmp_path / 'work'
    env = dict(PYTHON=sys.executable, PORT=free_port())
    run('bash', 'tools/dist_train.sh', str(user_config), '2', '--work-dir',
        str(work_dir), '--cfg-options', 'train_cfg.max_epochs=1',
        'train_dataloader.batch_size=2', *QUIET, env=env)
    checkpoint = read(work_dir / 'epoch_1.pth')
    # each of the 2 ranks took 6 of the 12 images: 3 batches of 2 each
    assert checkpoint['meta']['iter'] == 3
    # the lr followed the total batch of 2 x 2 (5 warm-up epochs of 3
    # iterations)
    scaled = 5e-4 * 4 / 512
    assert logged_lrs(work_dir) == pytest.approx(
        [1e-6 + (scaled - 1e-6) * step / 15 for step in range(3)], rel=1e-9)
    log = next(work_dir.glob('*/*.log')).read_text()
    assert 'Distributed training: True' in log
    assert "dist_cfg: {'backend': 'gloo'}" in log

    env['PORT'] = free_port()
    out = run('bash', 'tools/dist_test.sh', str(user_config),
              str(work_dir / 'epoch_1.pth'), '2', '--work-dir',
              str(work_dir), env=env)
    assert 'accuracy/top1' in out
    metrics = json.loads((work_dir / 'test_metrics.json').read_text())
    assert set(metrics['metrics']) >= {'accuracy/top1', 'accuracy/top5'}
