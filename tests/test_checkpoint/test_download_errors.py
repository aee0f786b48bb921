"""A download that fails (offline, refused) says what it fetched, from
where, where a file fetched by hand goes, and which setting takes a local
path; a file put there is then used without the network."""
import os
import shutil
import socket

import pytest
import torch

import mmdeit
from mmdeit.checkpoint import DownloadError, PretrainedInit, download
from mmdeit.checkpoint.files import cached_path
from tests.helpers.tiny_runner import build_runner, tiny_config

TINY = dict(backbone=dict(arch=dict(embed_dims=32, num_layers=1, num_heads=2,
                                    feedforward_channels=64),
                          img_size=32, patch_size=8),
            head=dict(in_channels=32))
ZOO_NAME = 'deit-tiny_pt-4xb256_in1k'


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty torch hub folder for the test."""
    hub = tmp_path / 'hub'
    monkeypatch.setattr(torch.hub, '_hub_dir', str(hub))
    return hub


@pytest.fixture
def unreachable():
    """A URL on a local port nothing listens on: the connection is
    refused at once, as offline."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    return f'http://127.0.0.1:{port}/deit/deit_tiny_patch16_224.pth'


def check_message(error: DownloadError, url: str, key: str = None) -> None:
    message = str(error)
    assert message.startswith(f'could not download {url}: ')
    assert 'refused' in message.lower()  # the reason, in words
    assert f'put it at {cached_path(url)} ' in message
    assert 'deit_tiny_patch16_224.pth' in message
    if key:
        assert f'set {key}=PATH instead of the URL' in message
    assert 'Traceback' not in message and 'URLError' not in message


def test_download_says_where_a_file_fetched_by_hand_goes(cache, unreachable):
    with pytest.raises(DownloadError) as error:
        download(unreachable, progress=False)
    check_message(error.value, unreachable)
    assert error.value.__cause__ is None  # no raw URLError chained above it
    assert error.value.cache_path.startswith(str(cache))


def test_get_model_names_pretrained(cache, unreachable, tmp_path):
    with pytest.raises(DownloadError) as error:
        mmdeit.get_model(ZOO_NAME, pretrained=unreachable, **TINY)
    check_message(error.value, unreachable, 'pretrained')
    # what the message says works: the file at the cache path is used
    source = mmdeit.get_model(ZOO_NAME, **TINY)
    saved = tmp_path / 'by_hand.pth'
    torch.save(dict(state_dict=source.state_dict()), saved)
    os.makedirs(os.path.dirname(error.value.cache_path), exist_ok=True)
    shutil.copy(saved, error.value.cache_path)
    model = mmdeit.get_model(ZOO_NAME, pretrained=unreachable, **TINY)
    assert torch.equal(model.backbone.cls_token, source.backbone.cls_token)


def test_teacher_names_its_key(cache, unreachable):
    with pytest.raises(DownloadError) as error:
        mmdeit.get_model(
            'deit-tiny-distilled_pt-4xb256_in1k', **TINY,
            teacher=dict(cfg=ZOO_NAME, checkpoint=unreachable),
            distillation=dict(type='hard'))
    check_message(error.value, unreachable, 'model.teacher.checkpoint')


@pytest.mark.parametrize('prefix, key', [
    (None, 'model.init_cfg.checkpoint'),
    ('backbone', 'model.backbone.init_cfg.checkpoint')])
def test_init_cfg_names_its_key(cache, unreachable, prefix, key):
    model = mmdeit.get_model(ZOO_NAME, **TINY)
    part = model.backbone if prefix else model
    with pytest.raises(DownloadError) as error:
        PretrainedInit(unreachable, prefix=prefix)(part)
    check_message(error.value, unreachable, key)


def test_load_from_names_its_key(cache, unreachable, tmp_path):
    runner = build_runner(tiny_config(tmp_path, load_from=unreachable))
    with pytest.raises(DownloadError) as error:
        runner.load_or_resume()
    check_message(error.value, unreachable, 'load_from')
