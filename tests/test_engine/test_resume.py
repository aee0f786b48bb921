"""Safe loading of runner checkpoints: the allow-list reads mmengine's
message hub and nothing more."""
import collections

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import HistoryBuffer, MessageHub

from mmdeit.checkpoint import read_checkpoint
from mmdeit.checkpoint import allow_runner_checkpoints
from mmdeit.engine.resume import configure_resume


def message_hub_state() -> dict:
    hub = MessageHub.get_instance('test_resume')
    for value in (0.5, 0.25):
        hub.update_scalar('train/loss', value)
    hub.update_info('iter', np.int64(7))
    return hub.state_dict()


def test_runner_checkpoint_loads_weights_only(tmp_path):
    path = tmp_path / 'epoch_1.pth'
    torch.save(dict(state_dict=dict(w=torch.ones(2)),
                    message_hub=message_hub_state()), path)
    with pytest.raises(Exception, match='HistoryBuffer|weights_only'):
        torch.load(path, weights_only=True)
    with allow_runner_checkpoints():
        loaded = torch.load(path, weights_only=True)
    history = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(history, HistoryBuffer)
    assert history.mean() == pytest.approx(0.375)
    assert history.current() == 0.25
    assert loaded['message_hub']['runtime_info']['iter'] == 7
    # the allow-list is gone after the context
    assert HistoryBuffer not in torch.serialization.get_safe_globals()
    # and mmdeit's reader (tools/test.py) reads such files too
    assert read_checkpoint(str(path))['state_dict']['w'].sum() == 2


class Unlisted:
    pass


@pytest.mark.parametrize('payload, reason', [
    # pickled as getattr(HistoryBuffer, 'update'): not a statistics method
    (HistoryBuffer.update, 'refusing getattr'),
    (collections.Counter.fromkeys, 'refusing getattr'),
    (Unlisted(), 'Unlisted'),
])
def test_other_objects_stay_refused(tmp_path, payload, reason):
    path = tmp_path / 'bad.pth'
    torch.save(dict(payload=payload), path)
    with allow_runner_checkpoints(), pytest.raises(Exception, match=reason):
        torch.load(path, weights_only=True)


@pytest.mark.parametrize('resume, expected', [
    (None, (False, 'w.pth')),
    ('auto', (True, None)),
    ('ckpt.pth', (True, 'ckpt.pth')),
])
def test_configure_resume(resume, expected):
    cfg = Config(dict(resume=False, load_from='w.pth'))
    configure_resume(cfg, resume)
    assert (cfg.resume, cfg.load_from) == expected
