"""The scope-aware rename transforms for Python: the shared renamer driven by :mod:`python_scope`."""

from __future__ import annotations

from fidelity.transforms import python_scope  # noqa: F401  (registers the Python analyzer)
from fidelity.transforms.base import register
from fidelity.transforms.renaming import (
    natural_rename,
    rename_function,
    rename_local_variables,
    rename_parameters,
)

register("rename_local_variables", "python")(rename_local_variables)
register("rename_parameters", "python")(rename_parameters)
register("rename_function", "python")(rename_function)
register("natural_rename", "python")(natural_rename)
