"""Linear layers with bias and GELU fused by oneDNN in CPU inference: the
same values as F.linear and F.gelu, and autograd's ops wherever a gradient
is recorded."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

from mmdeit.models.utils.fused import Linear, LinearGELU, linear, linear_gelu

ONEDNN = torch.ops.mkldnn._linear_pointwise.default
BF16 = pytest.mark.skipif(
    not torch.backends.mkldnn.is_available()
    or not torch.ops.mkldnn._is_mkldnn_bf16_supported(),
    reason='no native bf16 on this CPU')


class RecordOps(TorchDispatchMode):
    """The operators that ran, in order."""

    def __init__(self):
        super().__init__()
        self.ops = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.ops.append(func)
        return func(*args, **(kwargs or {}))


def run_recorded(fn, *args):
    with RecordOps() as recorder:
        out = fn(*args)
    return out, recorder.ops


def reference_gelu(x, layer):
    return F.gelu(F.linear(x, layer.weight, layer.bias))


@pytest.mark.parametrize('dtype', [torch.float32,
                                   pytest.param(torch.bfloat16, marks=BF16)])
@pytest.mark.parametrize('shape', [(7, 48), (3, 5, 48)])
def test_inference_takes_onednn_with_the_reference_values(dtype, shape):
    torch.manual_seed(0)
    layer = nn.Linear(48, 80).to(dtype)
    x = torch.randn(*shape).to(dtype)
    with torch.no_grad():
        out, ops = run_recorded(linear, x, layer)
        out_gelu, ops_gelu = run_recorded(linear_gelu, x, layer)
        expected = F.linear(x, layer.weight, layer.bias)
        expected_gelu = reference_gelu(x, layer)
    assert ONEDNN in ops and ONEDNN in ops_gelu
    assert torch.ops.aten.gelu.default not in ops_gelu
    # float32: the same products; bfloat16: one rounding of the output
    atol = 1e-5 if dtype == torch.float32 else 2e-2
    torch.testing.assert_close(out, expected, rtol=0, atol=atol)
    torch.testing.assert_close(out_gelu, expected_gelu, rtol=0, atol=atol)
    assert out.shape == shape[:-1] + (80, )


def test_training_uses_autograd_ops_and_their_gradients():
    torch.manual_seed(0)
    layer = nn.Linear(48, 80)
    x = torch.randn(4, 6, 48, requires_grad=True)
    out, ops = run_recorded(linear_gelu, x, layer)
    assert ONEDNN not in ops
    grads = torch.autograd.grad(out.square().sum(), (x, layer.weight,
                                                     layer.bias))
    expected = reference_gelu(x, layer)
    expected_grads = torch.autograd.grad(expected.square().sum(),
                                         (x, layer.weight, layer.bias))
    torch.testing.assert_close(out, expected, rtol=0, atol=0)
    for grad, reference in zip(grads, expected_grads):
        torch.testing.assert_close(grad, reference, rtol=0, atol=0)


def test_no_grad_input_but_trainable_weight_keeps_autograd():
    layer = nn.Linear(8, 8)
    out, ops = run_recorded(linear, torch.randn(2, 8), layer)
    assert ONEDNN not in ops and out.requires_grad


@BF16
def test_autocast_is_left_to_autocast():
    layer = nn.Linear(16, 16)
    x = torch.randn(3, 16)
    with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16):
        out, ops = run_recorded(linear_gelu, x, layer)
    assert ONEDNN not in ops and out.dtype == torch.bfloat16


@pytest.mark.parametrize('module, activation', [
    (Linear, lambda x: x), (LinearGELU, F.gelu)])
def test_modules_keep_the_state_dict_of_nn_linear(module, activation):
    layer = module(4, 6)
    assert isinstance(layer, nn.Linear)
    assert set(layer.state_dict()) == {'weight', 'bias'}
    plain = nn.Linear(4, 6)
    plain.load_state_dict(layer.state_dict())
    x = torch.randn(2, 4)
    seen = []
    layer.register_forward_hook(lambda m, args, out: seen.append(out))
    with torch.no_grad():
        out = layer(x)
        torch.testing.assert_close(out, activation(plain(x)), rtol=0,
                                   atol=1e-6)
    # hooks on the module see its output
    assert len(seen) == 1 and seen[0] is out
