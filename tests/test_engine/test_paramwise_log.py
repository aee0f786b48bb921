"""mmengine's per-tensor paramwise_options lines are kept to a summary in
the training log (all of them with log_level='DEBUG')."""
import re

from tests.helpers.tiny_runner import build_runner, log_text, tiny_config


def built_log(tmp_path, level: str) -> str:
    cfg = tiny_config(tmp_path / level, log_level=level)
    runner = build_runner(cfg)
    runner.build_optim_wrapper(runner.optim_wrapper)
    return log_text(tmp_path / level / 'work')


def test_paramwise_options_become_a_summary(tmp_path):
    full = built_log(tmp_path, 'DEBUG')
    lines = re.findall(r'paramwise_options -- (\S+):(\w+)=(\S+)', full)
    names = {name for name, _, _ in lines}
    assert len(lines) > len(names) > 5  # several settings per tensor
    no_decay = {name for name, key, value in lines
                if key == 'weight_decay' and float(value) == 0}

    short = built_log(tmp_path, 'INFO')
    assert 'paramwise_options --' not in short
    assert f'paramwise_cfg: {len(names)} parameter tensors with settings ' \
        'of their own' in short
    counts = [int(n) for n in re.findall(r'weight_decay=0\.0\S*: (\d+) ',
                                         short)]
    assert sum(counts) == len(no_decay)
    assert len(short.splitlines()) < len(full.splitlines()) - len(lines) + 10
