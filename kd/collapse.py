"""The one rule for "this student collapsed to one label", shared by the searches (kd.search), MORPH's trial guard
and the study's comparisons (fidelity.study_compare). Dependency-free so that any of them can import it."""

from __future__ import annotations

# The rarer predicted class holds at most 2 % of the validation examples. At exactly "one class" (0.0) a 4,000-pair
# BigCloneBench trial that put 99 % of pairs in one class entered AVATAR's surrogate as if it had learned
# (bench/results/avatar_clone.md); a student that learned anything is far from 2 % on either benchmark (their
# validation splits hold 67 % clones / 46 % vulnerable functions).
DEFAULT_COLLAPSE_MIN_FRACTION = 0.02


def is_collapsed_rate(positive_rate: float, min_fraction: float = DEFAULT_COLLAPSE_MIN_FRACTION) -> bool:
    """True when the rarer predicted label covers at most ``min_fraction`` of the examples (``positive_rate`` is
    the share predicted positive); ``min_fraction`` 0 means exactly one label."""
    return bool(min(positive_rate, 1.0 - positive_rate) <= min_fraction + 1e-9)
