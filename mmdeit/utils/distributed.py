"""Start a distributed run on machines without CUDA.

mmengine's ``pytorch`` and ``slurm`` launchers call ``torch.cuda.set_device``,
which fails on a CPU-only torch. When CUDA is unavailable,
:func:`setup_cpu_distributed` starts the gloo process group itself before the
runner is built (the runner then skips its own initialisation) and makes DDP
wrap the model without device ids.
"""
import os
import subprocess

import torch
import torch.distributed as dist
from mmengine.config import Config


def _slurm_environment() -> None:
    """Translate slurm's variables into torch.distributed's ``env://`` ones
    (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT)."""
    os.environ.setdefault('RANK', os.environ['SLURM_PROCID'])
    os.environ.setdefault('WORLD_SIZE', os.environ['SLURM_NTASKS'])
    os.environ.setdefault('LOCAL_RANK', os.environ.get('SLURM_LOCALID', '0'))
    os.environ.setdefault('MASTER_PORT', '29500')
    if 'MASTER_ADDR' not in os.environ:
        nodes = os.environ['SLURM_NODELIST']
        os.environ['MASTER_ADDR'] = subprocess.getoutput(
            f'scontrol show hostname {nodes} | head -n1')


def setup_cpu_distributed(cfg: Config, launcher: str) -> bool:
    """Prepare a CPU-only distributed run; a no-op where CUDA is available
    (mmengine's launcher then does the work) or ``launcher == 'none'``.

    Starts the gloo process group from the environment (torchrun, or slurm's
    variables for ``launcher='slurm'``), sets ``env_cfg.dist_cfg.backend`` to
    gloo and the ``device_ids`` of mmengine's DDP wrapper to None (DDP of a
    CPU module).

    Returns:
        True when it started the process group.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return False
    if launcher not in ('pytorch', 'slurm'):
        raise ValueError(f'launcher "{launcher}" is not supported without '
                         'CUDA; use "pytorch" (torchrun) or "slurm"')
    if launcher == 'slurm':
        _slurm_environment()
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    cfg.env_cfg.dist_cfg.backend = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    if wrapper.get('type') == 'MMDistributedDataParallel':
        wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo', init_method='env://')
    return True


def finish_distributed() -> None:
    """End a distributed run cleanly: every process waits for the others at
    a barrier, then the process group is destroyed; a no-op without one.

    A process that leaves while another is still in its last collective,
    or whose interpreter exits with the process group alive, can abort at
    exit ('terminate called without an active exception', SIGABRT) after a
    successful run, and the launcher then reports the whole run failed.
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
