"""Reading mmengine's scalar logs: train/val split, validation placed at the
end of its epoch, running mean, training time."""
import json

import numpy as np
import pytest

from mmdeit.visualization import curve_figure, load_json_log, train_time
from mmdeit.visualization.curves import series, smooth

# Two epochs of 4 iterations, logged every 2, validated after each epoch.
RECORDS = [
    dict(lr=1e-3, loss=2.0, time=0.9, epoch=1, iter=2, step=2),
    dict(lr=9e-4, loss=1.6, time=0.5, epoch=1, iter=4, step=4),
    {'accuracy/top1': 40.0, 'time': 0.1, 'step': 1},
    dict(lr=5e-4, loss=1.2, time=0.7, epoch=2, iter=6, step=6),
    dict(lr=1e-4, loss=1.0, time=0.3, epoch=2, iter=8, step=8),
    {'accuracy/top1': 55.0, 'time': 0.1, 'step': 2},
]


@pytest.fixture
def log_file(tmp_path):
    path = tmp_path / 'scalars.json'
    path.write_text(''.join(json.dumps(r) + '\n' for r in RECORDS))
    return path


def test_split_and_steps(log_file):
    log = load_json_log(str(log_file))
    assert [r['step'] for r in log['train']] == [2, 4, 6, 8]
    assert len(log['val']) == 2
    assert series(log, 'loss') == ([2, 4, 6, 8], [2.0, 1.6, 1.2, 1.0])
    # validation of epoch e sits at the last iteration logged in epoch e
    assert series(log, 'accuracy/top1') == ([4, 8], [40.0, 55.0])
    assert series(log, 'missing') is None


def test_train_time_leaves_out_each_epochs_first_record(log_file):
    log = load_json_log(str(log_file))
    stats = train_time(log)
    assert stats['epochs'] == {1: pytest.approx(0.5), 2: pytest.approx(0.3)}
    assert (stats['slowest'], stats['fastest']) == (1, 2)
    assert stats['mean'] == pytest.approx(0.4)
    assert stats['std'] == pytest.approx(0.1)
    every = train_time(log, include_outliers=True)
    assert every['epochs'] == {1: pytest.approx(0.7), 2: pytest.approx(0.5)}


def test_smooth_is_a_running_mean():
    np.testing.assert_allclose(smooth([1, 3, 5, 7], 2), [1, 2, 4, 6])
    np.testing.assert_allclose(smooth([1, 3], 1), [1, 3])


def test_figure_has_one_panel_per_key_and_names_missing_keys(log_file):
    logs = {'run': load_json_log(str(log_file))}
    fig = curve_figure(logs, ['loss', 'accuracy/top1', 'lr'])
    assert [axis.get_ylabel() for axis in fig.axes] == [
        'loss', 'accuracy/top1', 'lr']
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(), [40, 55])
    with pytest.raises(KeyError, match='no log holds "acc"'):
        curve_figure(logs, ['acc'])


def test_bad_line_names_file_and_line(tmp_path):
    path = tmp_path / 'broken.json'
    path.write_text(json.dumps(RECORDS[0]) + '\n{not json\n')
    with pytest.raises(ValueError, match='broken.json, line 2'):
        load_json_log(str(path))


def test_a_resumed_run_is_one_series():
    """Killed during epoch 2 after iteration 6, resumed from the checkpoint
    of iteration 4: the second start repeats iterations 5 and 6."""
    from mmdeit.visualization.curves import join_logs
    first = dict(train=[dict(RECORDS[i]) for i in (0, 1, 3)],
                 val=[dict(RECORDS[2])])
    first['train'][-1]['loss'] = 9.9  # iteration 6 of the killed start
    second = dict(train=[dict(RECORDS[i]) for i in (3, 4)],
                  val=[dict(RECORDS[5])])
    joined = join_logs([first, second])
    assert series(joined, 'loss') == ([2, 4, 6, 8], [2.0, 1.6, 1.2, 1.0])
    assert series(joined, 'accuracy/top1') == ([4, 8], [40.0, 55.0])
