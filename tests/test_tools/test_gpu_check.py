"""gpu_check: every measurement runs and records its own failure, the
figures it derives are computed right (checked on known inputs), and a
quick CPU run (``--device cpu --quick``) gives the values a freshly
initialised model must give."""
import math
import os
import re
import subprocess
import sys

import pytest
import torch

from mmdeit.benchmarks import gpu_check as gc
from tests.helpers.repo import ROOT, load_tool

pytest.importorskip('timm')
tool = load_tool('tools/analysis_tools/gpu_check.py')


def table_rows(text: str, first_cell: str) -> list:
    """The cells of the Markdown rows whose first cell starts with
    ``first_cell``."""
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if line.startswith('|') and cells[0].startswith(first_cell):
            rows.append(cells)
    return rows


def test_a_failing_measurement_is_recorded_and_the_next_still_runs():
    ran = []

    def boom():
        raise ValueError('boom')

    def not_here():
        raise gc.NotApplicable('needs CUDA')

    rows = gc.run_checks([
        gc.Check('a', 'first', lambda: ran.append(1) or dict(x=1)),
        gc.Check('a', 'second', boom),
        gc.Check('a', 'third', not_here),
        gc.Check('a', 'fourth', lambda: ran.append(4) or dict(x=4)),
    ], log=lambda line: None)
    assert [r.status for r in rows] == ['ok', 'FAILED', 'n/a', 'ok']
    assert rows[1].error == 'ValueError: boom'
    assert rows[2].error == 'needs CUDA'
    assert ran == [1, 4] and rows[3].cells == dict(x=4)
    report = gc.markdown(gc.Settings(device='cpu'), rows)
    assert '## Failures: 1 of 4 measurements' in report
    assert '- a / second: ValueError: boom' in report


def test_derived_figures_from_known_values():
    """Ratios and shares computed from given timings (300 vs 200 img/s;
    30 ms student, 90 ms teacher), not read back from a table."""
    row = gc.Row('inference', 'm fp32', 'ok',
                 dict(batch=64, mmdeit=300.0, timm=200.0))
    assert table_rows('\n'.join(gc.inference_table([row])), 'm fp32') == [
        ['m fp32', 'ok', '64', '300', '200', '1.500']]
    row = gc.Row('distilled', 'split', 'ok',
                 dict(batch=8, student=0.03, teacher=0.09))
    lines = '\n'.join(gc.distilled_table([row]))
    assert table_rows(lines, 'student')[0][1:] == ['30.0', '25%']
    assert table_rows(lines, 'teacher')[0][1:] == ['90.0', '75%']
    assert table_rows(lines, 'distilled')[0][1:] == ['120.0', '100%']
    failed = gc.Row('inference', 'm bf16 weights', 'FAILED', {}, 'E: x')
    assert table_rows('\n'.join(gc.inference_table([failed])), 'm bf16') \
        == [['m bf16 weights', 'FAILED: E: x', '-', '-', '-', '-']]


def test_largest_batch_stops_at_the_first_out_of_memory():
    def fits_up_to(limit):
        def run(batch):
            if batch > limit:
                raise torch.cuda.OutOfMemoryError('out of memory')
        return run

    assert gc.largest_batch(fits_up_to(8), 2048) == 8
    assert gc.largest_batch(fits_up_to(100), 32) == 32
    with pytest.raises(RuntimeError, match='batch of 1'):
        gc.largest_batch(fits_up_to(0), 32)


def test_quick_cpu_run(tmp_path):
    """Every row of every section on reduced models. A freshly initialised
    classifier predicts nearly uniform logits, so its first loss is
    ln(1000) whatever the (mixed, smoothed) targets: 0.5 x ln(1000) from
    the class token plus 0.5 x ln(1000) from the distillation token."""
    out = tmp_path / 'gpu_check.md'
    status = tool.main(['--device=cpu', '--quick', '--out', str(out)])
    text = out.read_text()
    training = {row[0]: row for row in table_rows(text, ('fp', 'bf'))
                if len(row) == 12}
    assert set(training) == {'fp32', 'fp16 AMP', 'bf16 autocast'}
    assert training['fp16 AMP'][1] == 'n/a: fp16 AMP (loss scaling) needs CUDA'
    for name, wrapper in (('fp32', 'OptimWrapper'),
                          ('bf16 autocast', 'AutocastOptimWrapper')):
        row = training[name]
        assert row[1:6] == ['ok', wrapper, 'True', '2', '2'], row
        # a batch of 2 against logits of std 0.02 x sqrt(192) = 0.28: the
        # first loss is ln(1000) within about 0.2 per sample (summing the
        # total with its parts gave 14.2)
        assert float(row[7]) == pytest.approx(math.log(1000), abs=0.6)
        assert row[9] == 'True'
    inference = table_rows(text, 'deit-tiny-distilled_pt-4xb256_in1k')
    assert [row[0].split(' ', 1)[1] for row in inference] == list(
        gc.INFERENCE_PRECISIONS)
    for row in inference[:3]:
        assert row[1] == 'ok' and row[2] == '4'  # the largest tried
    # bf16 weights through get_model(..., precision='bf16'): measured where
    # the API exists, else recorded as the failure it is
    bf16 = inference[3]
    assert bf16[1] == 'ok' or (bf16[1].startswith('FAILED') and
                               'precision' in bf16[1]), bf16
    teacher = [row for row in table_rows(text, ('fp', 'bf'))
               if len(row) == 6]
    assert [row[0] for row in teacher] == list(gc.TEACHER_PRECISIONS)
    assert all(row[1] == 'ok' and row[5] == 'True' for row in teacher)
    assert teacher[0][4] == '100.0%'  # fp32 against itself
    assert re.search(r'\| distilled step \| [\d.]+ \| 100% \|', text)
    count = sum(row[1].startswith('FAILED') for row in inference)
    assert f'## Failures: {count} of 11 measurements' in text
    listed = text.split('## Failures')[1].splitlines()[2:]
    assert len([line for line in listed if line]) == max(count, 1)
    assert status == int(count > 0)


def test_shell_runs_every_step_after_a_failing_cuda_test(tmp_path):
    """A failing cuda test no longer stops the script: the measurements
    still run, and the summary lists the failed step."""
    failing = tmp_path / 'test_fails.py'
    failing.write_text('import pytest\n\n\n@pytest.mark.cuda\n'
                       'def test_fails():\n    assert False\n')
    out = tmp_path / 'gpu_check.md'
    env = dict(os.environ, PYTHON=sys.executable, OUT=str(out),
               CUDA_TESTS=str(failing))
    result = subprocess.run(
        ['bash', 'tools/analysis_tools/gpu_check.sh', '--device=cpu',
         '--quick', '--checks', 'teacher'], cwd=ROOT, env=env, text=True,
        capture_output=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert 'unit tests marked cuda (pytest exit 1)' in output
    assert '## Teacher forward' in out.read_text()
    assert 'Failures: 0 of 3 measurements' in out.read_text()
    assert '1 step(s) failed' in output


@pytest.mark.skipif(torch.cuda.is_available(), reason='a GPU is present')
def test_cuda_without_a_gpu_is_refused(capsys):
    with pytest.raises(SystemExit):
        tool.parse_args(['--device', 'cuda'])
    assert '--device cpu --quick' in capsys.readouterr().err
