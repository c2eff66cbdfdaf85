"""Probe building (follow-ups, one teacher pass, disk cache) and relations over a probe."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from fidelity.evaluate import ALL, Thresholds, fidelity_relations
from fidelity.probe import (
    FollowUpSet,
    ProbeConfig,
    ProbeSet,
    Teacher,
    build_probe,
    probe_key,
    teacher_attack_stats,
)
from fidelity.transforms import identifiers
from kd.data.datamodules import CloneDetectionDataModule, DefectDataModule
from kd.data.encoding import CodeEncoder
from kd.models.inference import predict_logits
from tests.fidelity.attack_checks import AttackSpy, assert_summary, check_attacked, rename_of, without_timing
from tests.kd.helpers import tiny_model

TRANSFORMS = ("rename_local_variables", "insert_dead_code", "switch_to_if")

pytestmark = pytest.mark.usefixtures("isolated_cache")


class CountingTeacher:
    def __init__(self, n_inputs: int) -> None:
        torch.manual_seed(0)
        self.model, self.tokenizer = tiny_model(n_inputs)
        self.calls: list[list[tuple[str, ...]]] = []

    def handle(self, fingerprint: str = "teacher-a") -> Teacher:
        def predict(examples: list[tuple[str, ...]]) -> torch.Tensor:
            self.calls.append(examples)
            return predict_logits(self.model, CodeEncoder(self.tokenizer, 64), examples)

        return Teacher(self.model, self.tokenizer, fingerprint, 64, predict)


def test_clone_probe_rewrites_first_function_scores_once_and_is_cached(demo_root: Path) -> None:
    split = CloneDetectionDataModule(str(demo_root / "bigclonebench")).split("val")
    teacher = CountingTeacher(2)
    config = ProbeConfig(
        n_probe=12, transforms=TRANSFORMS, attacks=("wir_random",), max_queries=6, n_candidates=2
    )
    probe = build_probe(split, "clone", config, teacher.handle(), progress=False)
    assert probe.language == "java" and len(probe.originals) == 12
    assert list(probe.followups) == [*TRANSFORMS, "wir_random"]
    assert len(teacher.calls) == 1 and teacher.calls[0] == probe.all_examples()
    assert probe.teacher_probs.shape == (12, 2)
    for fu in probe.followups.values():
        assert fu.teacher_probs.shape == (len(fu.examples), 2)
        for i, (first, second) in zip(fu.source, fu.examples, strict=True):
            assert second == probe.originals[i][1]  # the second function of a pair is kept
            assert first != probe.originals[i][0]
    assert probe.followups["insert_dead_code"].examples  # applies to any method body
    renamed = probe.followups["rename_local_variables"]
    i, (first, _) = renamed.source[0], renamed.examples[0]
    assert identifiers(first, "java") != identifiers(probe.originals[i][0], "java")
    assert "asr" in probe.followups["wir_random"].stats
    # Same inputs: the cache answers without a teacher pass and gives the same probe.
    again = build_probe(split, "clone", config, teacher.handle(), progress=False)
    assert len(teacher.calls) == 1
    assert again.all_examples() == probe.all_examples()
    assert torch.allclose(again.teacher_probs, probe.teacher_probs)
    # Another teacher, seed or transform set is another probe.
    keys = {
        probe_key(split, "clone", config, teacher.handle("teacher-b")),
        probe_key(split, "clone", ProbeConfig(**{**config.__dict__, "seed": 1}), teacher.handle()),
        probe_key(
            split, "clone", ProbeConfig(**{**config.__dict__, "transforms": TRANSFORMS[:1]}), teacher.handle()
        ),
        probe.key,
    }
    assert len(keys) == 4
    # other transform code makes other follow-ups: another key, never a stale cache hit
    import fidelity.probe as probe_module

    real = probe_module.code_fingerprint
    probe_module.code_fingerprint = lambda: "other transform code"  # type: ignore[assignment]
    try:
        assert probe_key(split, "clone", config, teacher.handle()) not in keys
    finally:
        probe_module.code_fingerprint = real


def test_vulnerability_probe_uses_c_transforms(demo_root: Path) -> None:
    split = DefectDataModule(str(demo_root / "devign")).split("val")
    teacher = CountingTeacher(1)
    config = ProbeConfig(n_probe=8, attacks=(), seed=3)
    probe = build_probe(split, "vulnerability", config, teacher.handle(), use_cache=False, progress=False)
    assert probe.language == "c" and all(len(ex) == 1 for ex in probe.all_examples())
    assert "rename_parameters" in probe.followups and "mhm" not in probe.followups
    assert len(teacher.calls) == 1


def test_unknown_names_are_rejected_with_the_valid_options() -> None:
    with pytest.raises(ValueError, match="wir_random"):
        ProbeConfig(attacks=("textfooler",))
    with pytest.raises(ValueError, match="for_to_while"):
        ProbeConfig(transforms=("loop_unroll",)).transform_names("java")


def _handmade_probe() -> ProbeSet:
    """Two originals (labels 1, 0); follow-up "a" of both, follow-up "b" of the first, "c" empty."""
    t = torch.tensor([[0.2, 0.8], [0.9, 0.1]])
    fus = {
        "a": FollowUpSet(
            "a", "transform", [0, 1], [("x0'",), ("x1'",)], torch.tensor([[0.3, 0.7], [0.8, 0.2]])
        ),
        "b": FollowUpSet("b", "attack", [0], [("x0''",)], torch.tensor([[0.6, 0.4]])),
        "c": FollowUpSet("c", "transform", [], [], torch.zeros(0, 2)),
    }
    return ProbeSet("vulnerability", "c", [("x0",), ("x1",)], torch.tensor([1, 0]), t, fus)


def test_relations_per_followup_and_pooled_match_hand_computed_values(tmp_path: Path) -> None:
    probe = _handmade_probe()
    # rows: x0, x1, a(x0'), a(x1'), b(x0'')
    student = torch.tensor([[0.1, 0.9], [0.7, 0.3], [0.6, 0.4], [0.9, 0.1], [0.6, 0.4]])
    result = fidelity_relations(probe, student, Thresholds(tau_d=0.1, tau_c=0.75, tau_g=0.1))
    assert result.skipped == ["c"] and set(result.table) == {"a", "b", ALL}
    a, b, pooled = result.table["a"], result.table["b"], result.table[ALL]
    assert a["agreement_violation"] == 0.5  # x0': T says 1, S says 0; x1': both 0
    assert a["flip_rate_student"] == 0.5 and a["flip_rate_teacher"] == 0.0
    assert b["agreement_violation"] == 0.0 and b["flip_rate_teacher"] == 1.0
    assert a["robustness_drop_student"] == 0.5 and a["robustness_drop_teacher"] == 0.0
    assert pooled["n_pairs"] == 3 and pooled["agreement_violation"] == pytest.approx(1 / 3)
    # T is confident (≥ 0.75) on x1' only (0.8) and S gives it 0.9: no confidence violation.
    assert a["confidence_violation"] == 0.0 and a["confidence_violation_teacher_confident"] == 0.0
    assert result.originals == {"acc_teacher": 1.0, "acc_student": 1.0, "agreement_violation": 0.0}
    assert result.metrics()["fidelity/b/flip_rate_teacher"] == 1.0
    with pytest.raises(ValueError, match="5 probe examples"):
        fidelity_relations(probe, student[:4])
    # A student identical to the teacher violates nothing.
    same = fidelity_relations(
        probe, torch.cat([probe.teacher_probs, *[f.teacher_probs for f in probe.followups.values()]])
    )
    assert same.table[ALL]["agreement_violation"] == 0.0 and same.table[ALL]["js_distance"] == 0.0
    # Save/load keeps everything, the empty follow-up set included.
    probe.save(tmp_path / "p.json")
    loaded = ProbeSet.load(tmp_path / "p.json")
    assert loaded is not None and loaded.all_examples() == probe.all_examples()
    assert loaded.followups["c"].teacher_probs.shape == (0, 2)
    (tmp_path / "bad.json").write_text("{not json")
    assert ProbeSet.load(tmp_path / "bad.json") is None


def test_probe_attack_followups_are_renames_scored_by_the_teacher_and_reproducible(
    demo_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    split = DefectDataModule(str(demo_root / "devign")).split("val")
    teacher = CountingTeacher(1)
    spy = AttackSpy(monkeypatch)
    config = ProbeConfig(n_probe=6, transforms=(), attacks=("mhm", "alert"), max_queries=8, n_candidates=3)
    probe = build_probe(split, "vulnerability", config, teacher.handle(), use_cache=False, progress=False)
    assert teacher_attack_stats(probe).keys() == {"mhm", "alert"}
    labels = probe.labels.tolist()
    for name in ("mhm", "alert"):
        records = spy.of(teacher.model, name)
        # Each of the first n_attack (here all 6) originals attacked once, against its gold label.
        assert [(r.result.original, r.result.label) for r in records] == [
            (ex[0], y) for ex, y in zip(probe.originals, labels, strict=True)
        ]
        outcomes = [check_attacked(r, "c") for r in records]
        fu = probe.followups[name]
        assert fu.kind == "attack" and fu.examples  # something was tried and kept
        # The follow-ups are exactly the adversarial variants that differ from their original.
        changed = [(i, (r.result.adversarial,)) for i, r in enumerate(records) if r.result.adversarial]
        assert changed == list(zip(fu.source, fu.examples, strict=True))
        assert all(probe.originals[i] != ex for i, ex in changed)
        assert_summary(fu.stats, outcomes)
        assert teacher_attack_stats(probe)[name] == fu.stats
    # Same seed, same data: the attacks find the same variants with the same outcomes.
    first = [dataclasses.replace(r.result, seconds=0.0) for r in spy.records]
    spy.records.clear()
    again = build_probe(split, "vulnerability", config, teacher.handle(), use_cache=False, progress=False)
    assert [dataclasses.replace(r.result, seconds=0.0) for r in spy.records] == first
    for name in ("mhm", "alert"):
        assert again.followups[name].examples == probe.followups[name].examples
        assert without_timing(again.followups[name].stats) == without_timing(probe.followups[name].stats)


def test_attacks_on_a_teacher_that_ignores_its_input_never_succeed_and_spend_the_budget(
    demo_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hand-worked: logits (0, 2) whatever the code, so class 1 always; nothing can flip it."""
    split = DefectDataModule(str(demo_root / "devign")).split("val")
    teacher = CountingTeacher(1)
    out = teacher.model.classifier.out_proj
    with torch.no_grad():
        out.weight.zero_()
        out.bias.copy_(torch.tensor([0.0, 2.0]))
    spy = AttackSpy(monkeypatch)
    config = ProbeConfig(n_probe=8, transforms=(), attacks=("mhm",), max_queries=7, n_candidates=3)
    probe = build_probe(split, "vulnerability", config, teacher.handle(), use_cache=False, progress=False)
    labels = probe.labels.tolist()
    ones = [i for i, y in enumerate(labels) if y == 1]
    assert 0 < len(ones) < len(labels)  # both kinds of example are in the probe
    records = spy.of(teacher.model, "mhm")
    # Label 0: misclassified, one query (the original), nothing tried. Label 1: attacked, never flipped,
    # so MHM queries until the budget is gone: 7 queries, and its best variant is still a follow-up.
    assert [r.result.queries for r in records] == [7 if y == 1 else 1 for y in labels]
    assert [r.result.status for r in records] == ["failed" if y == 1 else "misclassified" for y in labels]
    assert [r.counted for r in records] == [r.result.queries for r in records]
    fu = probe.followups["mhm"]
    assert fu.source == ones
    for i, (code,) in zip(fu.source, fu.examples, strict=True):
        assert rename_of(probe.originals[i][0], code, "c")  # a non-empty pure rename
    stats = fu.stats
    assert (stats["n"], stats["n_attacked"], stats["n_success"], stats["asr"]) == (8, len(ones), 0, 0.0)
    assert stats["avg_queries"] == 7.0
    # A budget of one query is spent on the original: no variant, no follow-up.
    spy.records.clear()
    one = ProbeConfig(n_probe=8, transforms=(), attacks=("mhm",), max_queries=1, n_candidates=3)
    probe = build_probe(split, "vulnerability", one, teacher.handle(), use_cache=False, progress=False)
    assert [r.result.queries for r in spy.records] == [1] * 8 and probe.followups["mhm"].examples == []
