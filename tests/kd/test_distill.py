"""DistillationModule: a missing student is a clear error when the model is configured, not a crash on None."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from kd.distill import DistillationModule
from kd.models.ref import FreshModel, ModelRef
from tests.kd.helpers import TINY_SPEC


def test_no_student_fails_naming_the_argument_and_the_options() -> None:
    module = DistillationModule(ModelRef("teacher"), student=None)
    with pytest.raises(
        ValueError, match=r"DistillationModule has no student.*FreshModel.*ModelRef.*CompressorKD"
    ):
        module.configure_model()
    assert module.model is None


def test_a_given_student_is_the_one_built() -> None:
    student = FreshModel(TINY_SPEC)
    assert DistillationModule(ModelRef("teacher"), student=student).resolved_student() is student
    ref = ModelRef("some/model")
    assert DistillationModule(ModelRef("teacher"), student=ref).resolved_student() is ref


def test_using_the_module_before_configure_model_is_a_clear_error(tmp_path: Path) -> None:
    module = DistillationModule(ModelRef("teacher"), student=FreshModel(TINY_SPEC))
    ids = torch.ones(1, 4, dtype=torch.long)
    with pytest.raises(RuntimeError, match="not built yet; configure_model"):
        module(ids, ids)
    with pytest.raises(RuntimeError, match="not built yet"):
        module.export(tmp_path / "m")
