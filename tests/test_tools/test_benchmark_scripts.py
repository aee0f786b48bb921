"""The benchmark scripts end to end at the smallest settings: every
contender timed, one table, the FLOPs of the model zoo's tables."""
import pytest

from tests.helpers.repo import load_tool

pytest.importorskip('timm')


def table_rows(report: str) -> dict:
    """contender -> cells of the report's Markdown table."""
    rows = [line.strip('|').split('|') for line in report.splitlines()
            if line.startswith('| ') and not line.startswith('| contender')]
    return {cells[0].strip(): [c.strip() for c in cells[1:]] for cells in rows}


def test_inference_benchmark_times_fp32_and_bf16_contenders():
    tool = load_tool('tools/analysis_tools/benchmark.py')
    report = tool.main(['deit-tiny-distilled_pt-4xb256_in1k',
                        'deit_tiny_distilled_patch16_224', '--batch-size',
                        '1', '--rounds', '1', '--warmup', '0'])
    # 1.26 G multiply-accumulates, as the model zoo tables count them
    assert '2.52 GFLOP per image' in report
    rows = table_rows(report)
    assert list(rows) == ['mmdeit fp32', 'timm fp32', 'mmdeit bf16',
                          'mmdeit autocast', 'timm autocast', 'timm bf16']
    assert rows['timm fp32'][1] == '1.000x'
    assert rows['mmdeit bf16'][-1] == 'timm autocast'
    assert 'fp32 matmul peak' in report and 'bf16 matmul peak' in report


def test_training_benchmark_compares_bf16_with_fp32():
    tool = load_tool('tools/analysis_tools/benchmark_train.py')
    report = tool.main(['--batch-size', '2', '--rounds', '1', '--steps',
                        '1', '--warmup', '0'])
    rows = table_rows(report)
    assert list(rows) == ['mmdeit fp32', 'timm fp32', 'mmdeit bf16',
                          'timm bf16']
    assert rows['timm bf16'][1] == '1.000x'
    assert 'mmdeit bf16 step / fp32 step' in report
    assert '7.6' in report.split('GFLOP per image and step')[0][-6:]
