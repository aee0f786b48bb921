"""What a recording keeps of the teacher's logits for one batch, as bytes:
the arg-max for hard distillation, the top-K logits for soft distillation
(TinyViT's scheme), and a digest of the batch they were computed on."""
from typing import Union

import numpy as np
import torch


def index_dtype(num_classes: int) -> np.dtype:
    """The smallest integer type that holds a class index."""
    return np.dtype('<i2') if num_classes <= 2**15 else np.dtype('<i4')


class HardLabels:
    """The teacher's arg-max per sample, the only thing hard distillation
    learns from: 2 bytes a sample (4 beyond 32,768 classes).

    ``encode(logits (N, K)) -> bytes``; ``decode(bytes, N) -> (N,) int64``,
    what ``hard_distillation_loss`` takes in place of the logits.
    """

    kind = 'hard'

    def __init__(self, num_classes: int):
        self.num_classes = num_classes
        self.dtype = index_dtype(num_classes)

    @property
    def bytes_per_sample(self) -> int:
        return self.dtype.itemsize

    def describe(self) -> dict:
        return dict(kind=self.kind, num_classes=self.num_classes)

    def encode(self, logits: torch.Tensor) -> bytes:
        labels = logits.detach().argmax(dim=1).cpu().numpy()
        return labels.astype(self.dtype).tobytes()

    def decode(self, payload: bytes, count: int) -> torch.Tensor:
        labels = np.frombuffer(payload, self.dtype, count)
        return torch.from_numpy(labels.astype(np.int64))


class TopKLogits:
    """The teacher's ``k`` largest logits per sample in fp16 with their
    class indices, and one fp16 logit ``r`` standing for every other class:
    at the distillation temperature ``tau`` the reconstruction

        t_hat = r everywhere, the k recorded logits at their classes

    gives the teacher's top-k probabilities softmax(t / tau) exactly (up to
    fp16) and spreads the rest of the probability evenly over the other
    classes, as TinyViT does with its top-k probabilities:
    ``r = tau * (logsumexp_{j not in top-k}(t_j / tau) - log(K - k))``.
    ``4 k + 2`` bytes a sample (k <= 32,768 classes).

    ``encode(logits (N, K)) -> bytes``; ``decode(bytes, N) -> (N, K)
    float32`` logits, what ``soft_distillation_loss`` takes.
    """

    kind = 'soft'

    def __init__(self, num_classes: int, k: int, tau: float):
        if not 0 < k:
            raise ValueError(f'top-k soft labels need k > 0, got {k}')
        self.num_classes = num_classes
        self.k = min(k, num_classes)
        self.tau = float(tau)
        self.dtype = index_dtype(num_classes)

    @property
    def bytes_per_sample(self) -> int:
        return self.k * (self.dtype.itemsize + 2) + 2

    def describe(self) -> dict:
        return dict(kind=self.kind, num_classes=self.num_classes, k=self.k,
                    tau=self.tau)

    def encode(self, logits: torch.Tensor) -> bytes:
        logits = logits.detach().float().cpu()
        values, indices = logits.topk(self.k, dim=1)
        others = self.num_classes - self.k
        if others:
            rest = logits.scatter(1, indices, float('-inf')) / self.tau
            rest = self.tau * (rest.logsumexp(dim=1) - np.log(others))
        else:
            rest = torch.full((len(logits), ), float('-inf'))
        return b''.join((
            indices.numpy().astype(self.dtype).tobytes(),
            values.numpy().astype('<f2').tobytes(),
            rest.numpy().astype('<f2').tobytes()))

    def decode(self, payload: bytes, count: int) -> torch.Tensor:
        size = count * self.k
        indices = np.frombuffer(payload, self.dtype, size)
        offset = size * self.dtype.itemsize
        values = np.frombuffer(payload, '<f2', size, offset)
        rest = np.frombuffer(payload, '<f2', count, offset + 2 * size)
        logits = torch.from_numpy(rest.astype(np.float32))[:, None].repeat(
            1, self.num_classes)
        return logits.scatter_(
            1, torch.from_numpy(indices.astype(np.int64)).view(count, self.k),
            torch.from_numpy(values.astype(np.float32)).view(count, self.k))


LabelForm = Union[HardLabels, TopKLogits]


def batch_digest(inputs: torch.Tensor) -> float:
    """A number that tells the batch (N, C, H, W) the teacher saw from any
    other: ``sum_i (i + 1) * mean |x_i|`` over its samples, in float64 (the
    weights make it depend on their order). A replayed label is used only
    for a batch of the same digest."""
    per_sample = inputs.detach().abs().flatten(1).sum(1, dtype=torch.float64)
    weights = torch.arange(1, len(inputs) + 1, dtype=torch.float64,
                           device=inputs.device)
    return float((per_sample * weights).sum() / inputs[0].numel())


def same_digest(recorded: float, seen: float) -> bool:
    """Equal up to the rounding of a reduction done in another order or on
    another device (1e-6 relative; another batch is off by far more)."""
    return abs(recorded - seen) <= 1e-6 * max(abs(recorded), abs(seen), 1e-12)
