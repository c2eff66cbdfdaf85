"""Probe building (follow-ups, one teacher pass, disk cache) and relations over a probe."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from fidelity.attacks import summarize
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
from kd.data.demo import ensure_demo_data
from kd.data.encoding import CodeEncoder
from kd.models.inference import predict_logits
from tests.fidelity.attack_reference import direct_results, outcomes
from tests.kd.helpers import tiny_model

TRANSFORMS = ("rename_local_variables", "insert_dead_code", "switch_to_if")


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_demo_data(tmp_path_factory.mktemp("demo"))


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METACOMPRESS_CACHE", str(tmp_path / "cache"))


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


def test_probe_attack_followups_are_the_attacks_run_directly_with_the_caching_predictor(
    demo_root: Path,
) -> None:
    split = DefectDataModule(str(demo_root / "devign")).split("val")
    teacher = CountingTeacher(1)
    config = ProbeConfig(n_probe=6, transforms=(), attacks=("mhm", "alert"), max_queries=8, n_candidates=3)
    probe = build_probe(split, "vulnerability", config, teacher.handle(), use_cache=False, progress=False)
    labels = probe.labels.tolist()
    direct = direct_results(teacher.model, teacher.tokenizer, 64, probe.originals, labels, split, "c", config)
    assert teacher_attack_stats(probe).keys() == {"mhm", "alert"}
    assert all(probe.followups[name].examples for name in direct)  # something to compare
    for name, results in direct.items():
        fu = probe.followups[name]
        changed = [
            (i, r.adversarial) for i, r in enumerate(results) if r.adversarial not in (None, r.original)
        ]
        assert fu.kind == "attack" and [(i, (adv,)) for i, adv in changed] == list(
            zip(fu.source, fu.examples, strict=True)
        )
        assert outcomes(fu.stats) == outcomes(summarize(results))
        assert teacher_attack_stats(probe)[name] == fu.stats
