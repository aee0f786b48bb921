"""LAMB, as DeiT III trains with it (the official ``--opt fusedlamb``: apex's
``FusedLAMB`` with its defaults)."""
from typing import Iterable, List, Optional, Tuple

import torch
from torch.optim import Optimizer

from mmdeit.registry import OPTIMIZERS


@OPTIMIZERS.register_module()
class Lamb(Optimizer):
    """Layer-wise adaptive moments (You et al., 2020, "Large batch
    optimization for deep learning"), computed as apex's ``FusedLAMB`` and
    timm's ``Lamb`` compute it. Per step:

    1. the gradients of all groups are divided by ``max(1, |g| /
       max_grad_norm)``, ``|g|`` the norm of all of them together;
    2. Adam's bias-corrected moments give ``u = m_hat / (sqrt(v_hat) +
       eps)``;
    3. in a group with ``weight_decay`` w > 0: ``u += w * p``, and the step
       is scaled by the trust ratio ``|p| / |u|`` (1 where either norm is
       0); groups without weight decay (norms, biases, tokens) take the
       plain Adam step, as in apex (``use_nvlamb=False``);
    4. ``p -= lr * u``.

    Args:
        params: parameters or param groups.
        lr: learning rate.
        betas: decay of the first and second moments.
        eps: added to the root of the second moment (DeiT III: 1e-8).
        weight_decay: w above.
        max_grad_norm: the global gradient norm is clipped to this; None
            leaves the gradients as they are.
    """

    def __init__(self, params: Iterable, lr: float = 1e-3,
                 betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-6,
                 weight_decay: float = 0.01,
                 max_grad_norm: Optional[float] = 1.0):
        for name, value in (('lr', lr), ('eps', eps),
                            ('weight_decay', weight_decay)):
            if value < 0:
                raise ValueError(f'Lamb: {name} must be >= 0, got {value}')
        if not all(0 <= beta < 1 for beta in betas):
            raise ValueError(f'Lamb: betas must be in [0, 1), got {betas}')
        if max_grad_norm is not None and max_grad_norm <= 0:
            raise ValueError('Lamb: max_grad_norm must be positive or None, '
                             f'got {max_grad_norm}')
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay))
        self.max_grad_norm = max_grad_norm

    def _grads_scale(self) -> Optional[torch.Tensor]:
        """max(1, global gradient norm / max_grad_norm), or None."""
        grads = [p.grad for group in self.param_groups
                 for p in group['params'] if p.grad is not None]
        if self.max_grad_norm is None or not grads:
            return None
        norms = torch.stack(torch._foreach_norm(grads))
        norm = torch.linalg.vector_norm(norms)
        return (norm / self.max_grad_norm).clamp_(min=1.0)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        scale = self._grads_scale()
        for group in self.param_groups:
            params = [p for p in group['params'] if p.grad is not None]
            if params:
                self._update_group(group, params, scale)
        return loss

    def _update_group(self, group: dict, params: List[torch.Tensor],
                      scale: Optional[torch.Tensor]) -> None:
        beta1, beta2 = group['betas']
        grads = [p.grad for p in params]
        if grads[0].is_sparse:
            raise RuntimeError('Lamb does not support sparse gradients')
        if scale is not None:
            grads = torch._foreach_div(grads, scale)
        states = [self.state[p] for p in params]
        for state, p in zip(states, params):
            if not state:
                state['step'] = 0
                state['exp_avg'] = torch.zeros_like(p)
                state['exp_avg_sq'] = torch.zeros_like(p)
            state['step'] += 1
        exp_avgs = [state['exp_avg'] for state in states]
        exp_avg_sqs = [state['exp_avg_sq'] for state in states]
        torch._foreach_lerp_(exp_avgs, grads, 1 - beta1)
        torch._foreach_mul_(exp_avg_sqs, beta2)
        torch._foreach_addcmul_(exp_avg_sqs, grads, grads, value=1 - beta2)

        # u = (m / c1) / (sqrt(v / c2) + eps), c = 1 - beta^step
        steps = [state['step'] for state in states]
        denoms = torch._foreach_sqrt(exp_avg_sqs)
        torch._foreach_div_(denoms, [(1 - beta2**s)**0.5 for s in steps])
        torch._foreach_add_(denoms, group['eps'])
        updates = torch._foreach_div(exp_avgs, [1 - beta1**s for s in steps])
        torch._foreach_div_(updates, denoms)

        weight_decay = group['weight_decay']
        if weight_decay != 0:
            torch._foreach_add_(updates, params, alpha=weight_decay)
            p_norms = torch.stack(torch._foreach_norm(params))
            u_norms = torch.stack(torch._foreach_norm(updates))
            ratios = torch.where((p_norms > 0) & (u_norms > 0),
                                 p_norms / u_norms, torch.ones_like(p_norms))
            torch._foreach_mul_(updates, list(ratios.unbind()))
        torch._foreach_add_(params, updates, alpha=-group['lr'])
