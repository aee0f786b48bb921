from .cuda import configure_cuda_transfers
from .distributed import finish_distributed, setup_cpu_distributed
from .setup_env import register_all_modules

__all__ = ['register_all_modules', 'setup_cpu_distributed', 'finish_distributed',
           'configure_cuda_transfers']
