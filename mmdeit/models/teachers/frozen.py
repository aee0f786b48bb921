"""What makes a trained network a cheap frozen teacher: its BatchNorm
folded into the convolutions, its weights turned into constants, and the
precision it computes in."""
import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

PRECISIONS = {'fp32': torch.float32, 'bf16': torch.bfloat16,
              'fp16': torch.float16}


def fold_batchnorm(network: nn.Module) -> int:
    """Fold every BatchNorm2d that directly follows a Conv2d inside an
    ``nn.Sequential`` into that convolution (in eval mode, BatchNorm is the
    affine map ``(x - mean) / sqrt(var + eps) * weight + bias``, so the pair
    is one convolution with scaled weights and a bias); the BatchNorm
    becomes an ``nn.Identity``. A Sequential applies its children in order,
    so the fold is exact up to rounding. Works in place; returns how many
    BatchNorms it folded."""
    folded = 0
    for module in network.modules():
        if not isinstance(module, nn.Sequential):
            continue
        names = list(module._modules)
        for conv_name, bn_name in zip(names, names[1:]):
            conv, bn = module._modules[conv_name], module._modules[bn_name]
            if isinstance(conv, nn.Conv2d) and \
                    isinstance(bn, nn.BatchNorm2d) and \
                    bn.track_running_stats and not conv.training and \
                    not bn.training:
                module._modules[conv_name] = fuse_conv_bn_eval(conv, bn)
                module._modules[bn_name] = nn.Identity()
                folded += 1
    return folded


def parameters_to_constants(network: nn.Module) -> None:
    """Turn every parameter of ``network`` into a non-persistent buffer, in
    place: the module computes as before, but it has no parameters (an
    optimizer built from a model that holds it never sees them) and writes
    nothing into a ``state_dict`` (checkpoints of that model hold none of
    its weights); ``.to()`` still moves and casts them."""
    for module in network.modules():
        for name, param in list(module._parameters.items()):
            del module._parameters[name]
            module.register_buffer(
                name, None if param is None else param.detach(),
                persistent=False)
        for name in list(module._buffers):
            if name not in module._non_persistent_buffers_set:
                module._non_persistent_buffers_set.add(name)


def has_native_bf16(device: torch.device) -> bool:
    """Whether ``device`` computes bf16 in hardware: a CUDA GPU that
    supports it, or a CPU with AVX512-BF16 or AMX (elsewhere PyTorch
    emulates bf16 convolutions, several times slower than fp32)."""
    if device.type == 'cuda':
        return torch.cuda.is_bf16_supported()
    if device.type == 'cpu':
        return torch.cpu._is_avx512_bf16_supported() or \
            torch.cpu._is_amx_tile_supported()
    return False


def compute_dtype(precision: str, device: torch.device) -> torch.dtype:
    """The dtype a teacher of ``precision`` ('fp32', 'bf16', 'fp16' or
    'auto': bf16 where ``device`` has it in hardware, else fp32) computes
    in on ``device``."""
    if precision == 'auto':
        return torch.bfloat16 if has_native_bf16(device) else torch.float32
    return PRECISIONS[precision]

