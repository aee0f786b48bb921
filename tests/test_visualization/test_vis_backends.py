"""mmengine's visualiser and its backends build from a config through
mmdeit's registries (children of mmengine's), as in default_runtime.py."""
import json

import pytest
from mmengine.visualization import (LocalVisBackend, TensorboardVisBackend,
                                    Visualizer, WandbVisBackend)

from mmdeit.registry import VISBACKENDS, VISUALIZERS
from mmdeit.utils import register_all_modules


def test_registries_resolve_mmengines_backends():
    register_all_modules()
    assert VISUALIZERS.get('Visualizer') is Visualizer
    assert VISBACKENDS.get('LocalVisBackend') is LocalVisBackend
    assert VISBACKENDS.get('TensorboardVisBackend') is TensorboardVisBackend
    assert VISBACKENDS.get('WandbVisBackend') is WandbVisBackend


def build(tmp_path, name, backends):
    register_all_modules()
    return VISUALIZERS.build(dict(type='Visualizer', name=name,
                                  vis_backends=backends,
                                  save_dir=str(tmp_path)))


def test_local_backend_writes_the_scalars_analyze_logs_reads(tmp_path):
    visualizer = build(tmp_path, 'mmdeit_test_local',
                       [dict(type='LocalVisBackend')])
    visualizer.add_scalars({'loss': 0.5, 'lr': 1e-3}, step=3)
    scalars = tmp_path / 'vis_data' / 'scalars.json'
    assert json.loads(scalars.read_text()) == dict(loss=0.5, lr=1e-3, step=3)


def test_tensorboard_backend_writes_the_scalars(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    visualizer = build(tmp_path, 'mmdeit_test_tensorboard',
                       [dict(type='TensorboardVisBackend')])
    backend = visualizer.get_backend('TensorboardVisBackend')
    assert isinstance(backend, TensorboardVisBackend)
    visualizer.add_scalars({'loss': 0.5, 'lr': 1e-3}, step=3)
    backend.close()
    events = EventAccumulator(str(tmp_path / 'vis_data'))
    events.Reload()
    assert sorted(events.Tags()['scalars']) == ['loss', 'lr']
    (loss, ), (lr, ) = events.Scalars('loss'), events.Scalars('lr')
    assert (loss.step, loss.value) == (3, 0.5)
    assert (lr.step, lr.value) == (3, pytest.approx(1e-3))
