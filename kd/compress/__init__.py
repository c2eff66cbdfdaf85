"""Compression beyond distillation: post-training quantization and pruning of any model dir.

``python -m kd.compress quantize|prune|size`` (see ``kd/compress/__main__.py``); recovery fine-tuning of a
pruned model is ``kd.methods.prune.PruneKD`` (``lightning_configs/<task>/prune.yaml``).
"""

from kd.compress.api import StructuredSettings, prune_dir, quantize_dir, size_report

__all__ = ["StructuredSettings", "prune_dir", "quantize_dir", "size_report"]
