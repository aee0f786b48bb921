from .cuda import configure_cuda_transfers
from .distributed import setup_cpu_distributed
from .setup_env import register_all_modules

__all__ = ['register_all_modules', 'setup_cpu_distributed',
           'configure_cuda_transfers']
