from .warmup_cosine import WarmupCosineLR, warmup_cosine_value

__all__ = ['WarmupCosineLR', 'warmup_cosine_value']
