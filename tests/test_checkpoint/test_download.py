"""Downloads through the real code path (torch hub's downloader) from an
HTTP server on 127.0.0.1 that the tests run: the cache is keyed by URL,
the sha256 prefix of an official file name is checked, and in a
distributed run only rank 0 downloads."""
import hashlib
import os
import socket
import subprocess
import sys
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

import mmdeit
from mmdeit.checkpoint import CheckpointError, download, read_checkpoint

ROOT = Path(__file__).parents[2]


class Server:
    """Serves ``folder`` on 127.0.0.1 and records the requested paths;
    each answer waits ``delay`` seconds (a slow network)."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.requests = []
        self.delay = 0.
        server = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                time.sleep(server.delay)
                super().do_GET()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(
            ('127.0.0.1', 0), partial(Handler, directory=str(folder)))
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def url(self, name: str) -> str:
        return f'http://127.0.0.1:{self.httpd.server_port}/{name}'

    def put(self, name: str, tensors: dict) -> str:
        """Write ``tensors`` as ``name`` (safetensors or torch) and return
        its URL."""
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith('.safetensors'):
            save_file(tensors, str(path))
        else:
            torch.save(tensors, path)
        return self.url(name)

    def put_bytes(self, name: str, data: bytes) -> str:
        (self.folder / name).write_bytes(data)
        return self.url(name)


@pytest.fixture
def server(tmp_path):
    served = Server(tmp_path / 'served')
    yield served
    served.httpd.shutdown()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty torch hub folder for the test."""
    hub = tmp_path / 'hub'
    monkeypatch.setattr(torch.hub, '_hub_dir', str(hub))
    return hub


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_two_urls_with_one_file_name_are_two_entries(server, cache):
    url_a = server.put('a/model.safetensors', dict(x=torch.zeros(2)))
    url_b = server.put('b/model.safetensors', dict(x=torch.ones(2)))
    path_a, path_b = download(url_a, progress=False), \
        download(url_b, progress=False)
    assert path_a != path_b
    assert os.path.basename(path_a) == 'model.safetensors'
    assert torch.equal(read_checkpoint(url_a)['x'], torch.zeros(2))
    assert torch.equal(read_checkpoint(url_b)['x'], torch.ones(2))
    # each was fetched once; reading again used the cache
    assert server.requests.count('/a/model.safetensors') == 1
    assert server.requests.count('/b/model.safetensors') == 1


def test_hash_prefix_in_the_file_name_is_checked(server, cache, tmp_path):
    weights = dict(x=torch.arange(4.))
    torch.save(weights, tmp_path / 'w.pth')
    data = (tmp_path / 'w.pth').read_bytes()
    digest = sha256(tmp_path / 'w.pth')
    good = server.put_bytes(f'deit_w-{digest[:8]}.pth', data)
    assert torch.equal(torch.load(download(good, progress=False))['x'],
                       weights['x'])

    wrong = 'a1311bcf' if not digest.startswith('a1311bcf') else 'b40b3cf7'
    bad = server.put_bytes(f'deit_w-{wrong}.pth', data)
    with pytest.raises(CheckpointError) as error:
        download(bad, progress=False)
    message = str(error.value)
    assert f'deit_w-{wrong}.pth' in message
    assert digest in message and wrong in message
    # nothing of the bad file is kept, not even a temporary one
    kept = [p.name for p in cache.rglob('*') if p.is_file()]
    assert kept == [f'deit_w-{digest[:8]}.pth']


def test_zoo_fine_tunes_from_a_url(server, cache):
    """get_model's short form with a URL: backbone from the file, new head
    initialised."""
    tiny = dict(arch=dict(embed_dims=32, num_layers=1, num_heads=2,
                          feedforward_channels=64), img_size=32, patch_size=8)
    source = mmdeit.get_model('deit-tiny_pt-4xb256_in1k', backbone=tiny,
                              head=dict(in_channels=32))
    url = server.put('runs/epoch_300.pth',
                     dict(state_dict=source.state_dict(), meta={}))
    model = mmdeit.get_model('deit-tiny_pt-4xb256_in1k', pretrained=url,
                             backbone=tiny,
                             head=dict(in_channels=32, num_classes=5))
    for key, value in source.backbone.state_dict().items():
        assert torch.equal(model.backbone.state_dict()[key], value), key
    assert model.head.fc.weight.shape == (5, 32)
    assert torch.count_nonzero(model.head.fc.bias) == 0


RANK = '''
import sys
import torch.distributed as dist
dist.init_process_group('gloo', init_method='tcp://127.0.0.1:{port}',
                        rank=int(sys.argv[1]), world_size=2)
dist.barrier()  # both ranks ask for the file at the same time
from mmdeit.checkpoint import CheckpointError, download
print('PATH', download('{good}', progress=False), flush=True)
try:
    download('{bad}', progress=False)
except CheckpointError as error:
    print('REFUSED', error, flush=True)
dist.barrier()  # neither rank tears gloo down while the other still talks
dist.destroy_process_group()
'''


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_rank_0_downloads_while_the_other_waits(server, cache, tmp_path):
    good = server.put('teacher.pth', dict(x=torch.ones(3)))
    bad = server.put('student-00000000.pth', dict(x=torch.ones(3)))
    script = RANK.format(port=free_port(), good=good, bad=bad)
    server.delay = 1.  # a rank that did not wait would ask meanwhile
    env = dict(os.environ, PYTHONPATH=str(ROOT), TORCH_HOME=str(tmp_path),
               OMP_NUM_THREADS='1')
    # torch hub's folder is TORCH_HOME/hub, the one the fixture emptied
    ranks = [subprocess.Popen([sys.executable, '-c', script, str(rank)],
                              cwd=ROOT, env=env, text=True,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
             for rank in range(2)]
    outputs = [rank.communicate(timeout=240)[0] for rank in ranks]
    for rank, output in zip(ranks, outputs):
        assert rank.returncode == 0, output
    paths = [next(line for line in out.splitlines()
                  if line.startswith('PATH')) for out in outputs]
    assert paths[0] == paths[1]
    assert paths[0].startswith(f'PATH {cache}')
    assert server.requests.count('/teacher.pth') == 1
    # the mismatch found on rank 0 stops rank 1 too, with rank 0's reason
    assert server.requests.count('/student-00000000.pth') == 1
    assert 'REFUSED' in outputs[0] and 'sha256' in outputs[0]
    assert 'REFUSED rank 0 could not download' in outputs[1]
    assert 'sha256' in outputs[1]
