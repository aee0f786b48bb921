"""The small distilled DeiT of the classifier and teacher tests: one block
of 32 dims on 32 px images cut in 16 px patches."""


def small_student(num_classes: int, **head) -> dict:
    """The student's backbone and head configs; ``head``: more head keys."""
    return dict(
        backbone=dict(type='DistilledVisionTransformer',
                      arch=dict(embed_dims=32, num_layers=1, num_heads=2,
                                feedforward_channels=64),
                      img_size=32, patch_size=16),
        head=dict(type='DeiTClsHead', num_classes=num_classes,
                  in_channels=32, **head))
