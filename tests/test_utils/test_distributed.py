"""mmdeit.utils.distributed: the end of a distributed run."""
import socket

import pytest
import torch.distributed as dist

from mmdeit.utils import finish_distributed


def test_finish_distributed_meets_the_others_then_destroys_the_group(
        monkeypatch):
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}',
                            rank=0, world_size=1)
    calls = []
    barrier = dist.barrier
    monkeypatch.setattr(dist, 'barrier',
                        lambda *a, **k: calls.append('barrier') or
                        barrier(*a, **k))
    try:
        finish_distributed()
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
            pytest.fail('the process group was left alive')
    assert calls == ['barrier']
    # without a process group (a one-process run) it does nothing
    finish_distributed()
    assert not dist.is_initialized()
