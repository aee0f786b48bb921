"""Looking inside trained models: attention maps and rollout of the class
and distillation tokens, token similarity, confusion matrices, training
curves. Figures are matplotlib ``Figure`` objects (no pyplot state), saved
by the tools in tools/visualization and tools/analysis_tools."""
from .attention import (attention_maps, attention_rollout, record_attention,
                        token_rows)
from .attention_figure import attention_figure, attention_title
from .confusion import confusion_figure, confusion_matrix, head_matrices
from .curves import (curve_figure, load_json_log, logs_figure, run_name,
                     train_time)
from .images import find_images, load_batch, true_labels
from .token_similarity import (SimilarityTotals, record_tokens,
                               similarity_figure)

__all__ = [
    'attention_maps', 'attention_rollout', 'record_attention', 'token_rows',
    'attention_figure', 'attention_title', 'confusion_figure',
    'confusion_matrix', 'head_matrices', 'curve_figure', 'load_json_log',
    'logs_figure', 'run_name', 'train_time', 'find_images', 'load_batch',
    'true_labels', 'SimilarityTotals', 'record_tokens', 'similarity_figure'
]
