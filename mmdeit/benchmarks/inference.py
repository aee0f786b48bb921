"""Inference throughput of a zoo model beside timm's same model, in one
process, against the machine's matmul peaks.

Every contender gets the same weights (timm's, loaded through mmdeit's
official-layout loader) and the same random batch, under
``torch.inference_mode()``. The contenders, per precision:

- fp32: mmdeit (eager), timm; with ``onnx`` onnxruntime on mmdeit's export;
  with ``compile`` mmdeit under ``torch.compile`` with frozen weights.
- bf16: mmdeit with ``precision='bf16'`` (the backbone's weights cast once),
  mmdeit under ``torch.autocast`` (its weights cast at every call, the path
  before the bf16 precision), timm under autocast and timm cast once
  (``.to(torch.bfloat16)``); with ``compile`` mmdeit bf16 compiled, frozen.

Rounds alternate between all contenders, and each round also times
``torch.mm`` at the model's linear shapes in float32 and (where bf16 runs)
bfloat16, so that the fractions of both peaks see the same machine.
"""
import copy
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Sequence, Tuple

import torch
from torch import nn

from mmdeit.apis import get_model
from mmdeit.models.utils import compile_model, inference_compile_options
from mmdeit.models.utils.precision import set_inference_precision
from .flops import count_flops
from .hardware import describe_machine, format_shapes, linear_shapes
from .profiling import profile_table
from .timing import alternate, results_table, rounds_text

PRECISIONS = ('fp32', 'bf16')


@dataclass
class InferenceSetup:
    """What to run: a zoo name (or config) and its timm name, and how."""
    config: str
    timm_name: str
    batch_size: int = 32
    rounds: int = 5
    warmup: int = 2
    precisions: Sequence[str] = PRECISIONS
    onnx: bool = False
    compile: bool = False
    profile: bool = False


def build_pair(config: str, timm_name: str) -> Tuple[nn.Module, nn.Module]:
    """(mmdeit model, timm model) with the same weights: timm's random ones,
    read through mmdeit's official layout."""
    import timm
    reference = timm.create_model(timm_name, pretrained=False).eval()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / 'weights.pth'
        torch.save({'model': reference.state_dict()}, path)
        model = get_model(config, pretrained=str(path))
    return model, reference


def under_autocast(run: Callable[[], object]) -> Callable[[], object]:
    """``run`` called under a CPU bfloat16 autocast."""
    def call():
        with torch.autocast('cpu', dtype=torch.bfloat16):
            return run()
    return call


def onnx_runner(model: nn.Module, batch: torch.Tensor, folder: str):
    """onnxruntime on the exported model, on the same threads as torch."""
    import onnxruntime as ort
    from mmdeit.apis.onnx_model import INPUT_NAME, export_onnx
    path = str(Path(folder) / 'model.onnx')
    export_onnx(model, path, batch_size=batch.shape[0])
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    session = ort.InferenceSession(path, options,
                                   providers=['CPUExecutionProvider'])
    array = batch.numpy()
    return lambda: session.run(None, {INPUT_NAME: array})


def compiled(model: nn.Module, batch: torch.Tensor, name: str,
             report: list) -> Callable[[], object]:
    """The model compiled with frozen weights; its first call (compilation
    included) is timed and its largest difference to eager reported."""
    eager = model(batch)
    model = compile_model(copy.deepcopy(model),
                          inference_compile_options(True))
    start = time.perf_counter()
    out = model(batch)
    report.append(f'{name}: first compiled batch (compilation included) '
                  f'{time.perf_counter() - start:.1f} s; max abs diff to '
                  f'eager {(out - eager).abs().max():.2e}')
    return lambda: model(batch)


def contenders(setup: InferenceSetup, model: nn.Module, reference: nn.Module,
               batch: torch.Tensor, folder: str, report: list
               ) -> Tuple[Dict[str, Callable], Dict[str, str]]:
    """The runs to time, and the timm run each one is compared with."""
    runs, references = {}, {}
    if 'fp32' in setup.precisions:
        runs['mmdeit fp32'] = lambda: model(batch)
        runs['timm fp32'] = lambda: reference(batch)
        if setup.onnx:
            runs['onnxruntime fp32'] = onnx_runner(model, batch, folder)
        if setup.compile:
            runs['mmdeit fp32 compiled'] = compiled(model, batch, 'fp32',
                                                    report)
        references.update({name: 'timm fp32' for name in runs})
    if 'bf16' in setup.precisions:
        bf16_model = set_inference_precision(copy.deepcopy(model), 'bf16')
        bf16_reference = copy.deepcopy(reference).to(torch.bfloat16)
        bf16 = {
            'mmdeit bf16': lambda: bf16_model(batch),
            'mmdeit autocast': under_autocast(lambda: model(batch)),
            'timm autocast': under_autocast(lambda: reference(batch)),
            'timm bf16':
            lambda: bf16_reference(batch.to(torch.bfloat16)).float(),
        }
        if setup.compile:
            bf16['mmdeit bf16 compiled'] = compiled(bf16_model, batch, 'bf16',
                                                    report)
        runs.update(bf16)
        references.update({name: 'timm autocast' for name in bf16})
    return runs, references


@torch.inference_mode()
def run_inference_benchmark(setup: InferenceSetup) -> str:
    """Time the contenders (see the module's doc); returns the report:
    machine, FLOPs, the table, the rounds and any profiles."""
    model, reference = build_pair(setup.config, setup.timm_name)
    size = model.backbone.img_size
    torch.manual_seed(0)
    batch = torch.randn(setup.batch_size, 3, *size)
    flops = count_flops(lambda: model(batch))
    shapes = linear_shapes(model, lambda: model(batch))
    report = [f'{setup.config} vs timm {setup.timm_name}, batch '
              f'{setup.batch_size}, {setup.rounds} rounds',
              describe_machine(),
              f'{flops / setup.batch_size / 1e9:.2f} GFLOP per image (matrix '
              f'products and attention); linear shapes '
              f'{format_shapes(shapes)}']
    with tempfile.TemporaryDirectory() as folder:
        runs, references = contenders(setup, model, reference, batch,
                                      folder, report)
        if setup.profile:
            for name, run in runs.items():
                report.append(f'--- {name}: one batch\n{profile_table(run)}')
        result = alternate(runs, setup.rounds, setup.warmup, shapes,
                           peak_dtypes=tuple(setup.precisions))
    report.append(results_table(result, setup.batch_size, flops, references))
    report.append(rounds_text(result, setup.batch_size))
    report.append(f'after the rounds: {describe_machine()}')
    return '\n'.join(report)
