"""tools/test.py --precision: the choices, named when wrong."""
import pytest

from tests.helpers.repo import load_tool


def test_precision_choices(capsys):
    tool = load_tool('tools/test.py')
    assert tool.parse_args(['c.py', 'w.pth']).precision == 'fp32'
    assert tool.parse_args(['c.py', 'w.pth', '--precision',
                            'auto']).precision == 'auto'
    with pytest.raises(SystemExit):
        tool.parse_args(['c.py', 'w.pth', '--precision', 'fp16'])
    assert "--precision: invalid choice: 'fp16'" in capsys.readouterr().err
