"""tools/analysis_tools/gpu_check.py in its CPU mode (--device cpu --quick):
every part runs and the Markdown table holds its figures."""
import re

import pytest
import torch

from tests.helpers.repo import load_tool

pytest.importorskip('timm')
gpu_check = load_tool('tools/analysis_tools/gpu_check.py')


def test_quick_cpu_run_writes_every_table(tmp_path):
    out = tmp_path / 'gpu_check.md'
    text = gpu_check.main(['--device', 'cpu', '--quick', '--out', str(out)])
    assert out.read_text() == text
    training = re.search(r'\| OptimWrapper \| float32 \| True \| 2 \| '
                         r'([\d.]+) \| ([\d.]+) \| ([\d.]+) \| True \|', text)
    assert training, text
    assert float(training.group(1)) > 0
    rows = re.findall(r'\| deit-tiny-distilled_pt-4xb256_in1k \| (.+?) \| '
                      r'(\d+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|', text)
    assert [row[0] for row in rows] == ['fp32', 'bfloat16 autocast']
    for _, batch, ours, theirs, ratio in rows:
        assert int(batch) == 4  # the largest tried (--quick: 4)
        assert float(ratio) == pytest.approx(float(ours) / float(theirs),
                                             rel=0.1, abs=0.01)
    split = re.findall(r'\| (student|teacher)[^|]*\| ([\d.]+) \| (\d+)% \|',
                       text)
    assert [part for part, _, _ in split] == ['student', 'teacher']
    assert sum(int(share) for _, _, share in split) in (99, 100, 101)


@pytest.mark.skipif(torch.cuda.is_available(), reason='a GPU is present')
def test_cuda_without_a_gpu_is_refused(capsys):
    with pytest.raises(SystemExit):
        gpu_check.parse_args(['--device', 'cuda'])
    assert '--device cpu --quick' in capsys.readouterr().err
