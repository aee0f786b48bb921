"""tools/analysis_tools/record_teacher.py records a config's teacher labels
without training: a training run then replays them with the teacher's
checkpoint gone, every batch the one recorded (its digest checked)."""
import os
import subprocess
import sys

from pathlib import Path

import pytest
import torch

from tests.helpers.distilled_runner import (config, teacher_removed, train,
                                            write_project)
from tests.helpers.repo import ROOT


@pytest.fixture
def project(tmp_path) -> Path:
    return write_project(tmp_path / 'project')


def test_recorded_labels_replay_in_training(project, tmp_path):
    cache = tmp_path / 'cache'
    path = config(project, tmp_path / 'record')
    done = subprocess.run(
        [sys.executable, 'tools/analysis_tools/record_teacher.py', str(path),
         '--cache', str(cache), '--work-dir', str(tmp_path / 'log')],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT),
                           OMP_NUM_THREADS=str(torch.get_num_threads())),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]
    assert '2 epochs, 6 batches recorded now, 0 were already there' in \
        done.stdout
    assert '6/6' in done.stdout  # the progress bar, complete
    with teacher_removed(project):
        replaying = train(config(project, tmp_path / 'replay',
                                 **{'model.teacher.cache': str(cache)}))
    assert replaying.model.teacher is None
    assert replaying.train_loop.iter == 6
