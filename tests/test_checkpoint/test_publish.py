"""Publishing: weights and meta only, hashed name, written atomically."""
import hashlib
import os
import stat

import pytest
import torch
from mmengine.logging import MessageHub

from mmdeit.checkpoint.publish import hashed_path, publish_checkpoint


def runner_checkpoint(path):
    """A checkpoint as mmengine's runner writes it, message hub included
    (HistoryBuffer objects, which plain weights-only loading refuses)."""
    hub = MessageHub.get_instance('test_publish')
    hub.update_scalar('train/loss', 0.5)
    state = {'backbone.cls_token': torch.randn(1, 1, 8),
             'head.fc.weight': torch.randn(3, 8)}
    torch.save(dict(
        meta=dict(epoch=3, iter=30,
                  dataset_meta=dict(classes=('a', 'b', 'c'))),
        state_dict=state,
        optimizer=dict(state={}, param_groups=[dict(lr=0.1)]),
        param_schedulers=[dict(last_epoch=3)],
        message_hub=hub.state_dict(),
        ema_state_dict={'module.' + k: v + 1 for k, v in state.items()},
    ), path)
    return state


def test_publish_keeps_weights_and_meta_under_hashed_name(tmp_path):
    state = runner_checkpoint(tmp_path / 'epoch_3.pth')
    path = publish_checkpoint(str(tmp_path / 'epoch_3.pth'),
                              str(tmp_path / 'out' / 'deit.pth'))
    sha = hashlib.sha256(open(path, 'rb').read()).hexdigest()
    assert path == str(tmp_path / 'out' / f'deit-{sha[:8]}.pth')
    published = torch.load(path, weights_only=True)
    assert sorted(published) == ['meta', 'state_dict']
    assert published['meta']['dataset_meta']['classes'] == ('a', 'b', 'c')
    # mmengine's EMAHook has already swapped the averaged weights into
    # state_dict; ema_state_dict holds the raw ones and is dropped.
    for key, value in state.items():
        torch.testing.assert_close(published['state_dict'][key], value)
    assert [p.name for p in (tmp_path / 'out').iterdir()] == \
        [f'deit-{sha[:8]}.pth']
    # readable as any new file, not only by its owner as a temporary file
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~umask


def test_failed_publish_leaves_no_file(tmp_path):
    torch.save(dict(model={'w': torch.zeros(1)}), tmp_path / 'x.pth')
    with pytest.raises(KeyError, match='state_dict'):
        publish_checkpoint(str(tmp_path / 'x.pth'), str(tmp_path / 'out.pth'))
    assert [p.name for p in tmp_path.iterdir()] == ['x.pth']


def test_hashed_path():
    assert hashed_path('a/b.pth', '0123456789abcdef') == 'a/b-01234567.pth'
    assert hashed_path('a/b', '0123456789abcdef') == 'a/b-01234567.pth'


@pytest.mark.parametrize('ema, said', [(True, 'published the EMA weights '),
                                       (False, 'published the weights ')])
def test_publish_says_which_weights(tmp_path, monkeypatch, ema, said):
    logged = []
    monkeypatch.setattr('mmdeit.checkpoint.publish.print_log',
                        lambda message, **kwargs: logged.append(message))
    runner_checkpoint(tmp_path / 'epoch_3.pth')
    if not ema:
        checkpoint = torch.load(tmp_path / 'epoch_3.pth', weights_only=False)
        del checkpoint['ema_state_dict']
        torch.save(checkpoint, tmp_path / 'epoch_3.pth')
    publish_checkpoint(str(tmp_path / 'epoch_3.pth'),
                       str(tmp_path / 'deit.pth'))
    assert logged[-1].startswith(said + f'of {tmp_path / "epoch_3.pth"} ')
