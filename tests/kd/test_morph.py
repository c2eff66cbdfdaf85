"""MORPH's parts, each against a hand-worked case or an independent reference (sklearn, scipy, a definition)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch
from scipy.special import expit

from kd.data.splits import CodeSplit
from kd.methods.morph import MorphKD, MorphSelection, SelectionRule, flip_metrics, morph_loss
from kd.methods.morph_data import META_PREFIX, combined_split, function_seed, metamorphic_split
from kd.models.ref import ModelRef
from kd.search.avatar_space import avatar_space
from kd.search.morph_search import (
    FLIPS,
    MorphRepair,
    MorphSurrogates,
    guard_flips,
    hypervolume,
    is_collapsed,
    plan_morph,
    select_morph,
    trial_scores,
)
from kd.search.objectives import CostModel
from kd.search.result import Solution
from kd.search.sampling import latin_hypercube_sample
from kd.search.surrogate import encode_features
from kd.search.trials import TrialResult
from tests.kd.helpers import TINY_SPEC

# -- repair ----------------------------------------------------------------------------------------------------


def _space() -> Any:
    return avatar_space(
        "clone",
        {
            "hidden_size": {"low": 16, "high": 32, "step": 1},
            "num_attention_heads": [1, 2, 4, 8],
            "hidden_dropout_prob": [0.0, 0.04, 0.1, 0.16, 0.2],
        },
    )


def _genome(space: Any, **values: Any) -> np.ndarray:
    x = np.zeros(space.n_var)
    for name, index in values.items():
        x[space.names.index(name)] = index
    return x


def test_repair_rounds_integers_probabilities_and_moves_hidden_to_a_multiple_of_heads() -> None:
    space = _space()
    repair = MorphRepair(space)
    names = space.names
    # hidden 20 (index 4) with 8 heads (index 3): 16 and 24 are equally near -> the lower, 16 (MORPH's tie rule)
    x = _genome(
        space, hidden_size=4.4, num_attention_heads=2.6, hidden_dropout_prob=1.2, num_hidden_layers=2.5
    )
    out = repair.repair_one(x)
    values = space.values(out)
    assert out.dtype.kind == "i"
    assert values["num_attention_heads"] == 8  # index 2.6 -> 3
    assert values["hidden_size"] == 16
    assert values["hidden_dropout_prob"] == 0.0  # 0.04 rounds to one decimal: 0.0
    assert values["num_hidden_layers"] == 3  # index 2.5 -> 2 (round half to even), value 3
    # hidden 21 with 8 heads -> 24 (nearer); 0.16 -> 0.2; indices beyond the range are clipped
    x = _genome(space, hidden_size=5, num_attention_heads=3, hidden_dropout_prob=3)
    x[names.index("vocab_size")] = 1e6
    values = space.values(repair.repair_one(x))
    assert (values["hidden_size"], values["hidden_dropout_prob"]) == (24, 0.2)
    assert values["vocab_size"] == 46000
    # the pymoo entry point repairs a whole population
    X = np.array([_genome(space, hidden_size=4, num_attention_heads=3), _genome(space, hidden_size=5)])
    out = repair._do(None, X)  # type: ignore[arg-type]
    assert [space.values(r)["hidden_size"] for r in out] == [16, 21]  # 21 % 1 head == 0: unchanged


def test_lhs_trials_lie_in_the_pruned_bounds_one_stratum_each() -> None:
    cost = CostModel("spec", "avatar_clone")
    plan = plan_morph("clone", 0.5, cost, n_trials=12, population=8, seed=3)
    assert plan.genomes.shape[1] == plan.space.n_var and len(plan.initial) == 8
    for g in [*plan.genomes, *plan.initial]:
        assert np.all((g >= 0) & (g <= plan.space.upper))
        values = plan.space.values(g)
        assert values["hidden_size"] % values["num_attention_heads"] == 0
        for gene, (low, high) in plan.bounds.items():
            assert low <= values[gene] <= high
    # Latin hypercube: a gene no repair touches, with 24 values, takes each of 12 strata (2 values) exactly once
    space = avatar_space("clone", {"intermediate_size": {"low": 32, "high": 32 + 23 * 16, "step": 16}})
    raw = latin_hypercube_sample(space, 12, seed=3)
    strata = raw[:, space.names.index("intermediate_size")] // 2
    assert sorted(strata.tolist()) == list(range(12))


def test_lhs_trial_size_filter_keeps_only_configurations_near_the_budget() -> None:
    from transformers import RobertaConfig, RobertaForSequenceClassification

    cost = CostModel("spec", "avatar_clone")
    plain = plan_morph("clone", 0.5, cost, n_trials=12, population=8, seed=3)
    sizes = [cost.size_mb(plain.space.decode(g)) for g in plain.genomes]
    assert max(sizes) > 1.0  # the unfiltered LHS draws students over twice the budget
    plan = plan_morph("clone", 0.5, cost, n_trials=12, population=8, seed=3, trial_max_size_ratio=1.0)
    assert len(plan.genomes) == 12 and len({g.tobytes() for g in plan.genomes}) == 12
    assert np.array_equal(plan.initial, plain.initial)  # the search's own population is not filtered
    for g in plan.genomes:
        assert np.all((g >= 0) & (g <= plan.space.upper))
        spec = plan.space.decode(g)
        # size from a real model's parameters (encoder without the head), not from the cost formula
        config = RobertaConfig(
            vocab_size=spec.vocab_size, hidden_size=spec.hidden_size, num_hidden_layers=spec.num_hidden_layers,
            num_attention_heads=spec.num_attention_heads, intermediate_size=spec.intermediate_size,
            max_position_embeddings=spec.max_position_embeddings, type_vocab_size=1,
        )  # fmt: skip
        encoder = RobertaForSequenceClassification(config).roberta
        assert sum(p.numel() for p in encoder.parameters()) * 4 / 1e6 <= 0.5 * 1.02
    again = plan_morph("clone", 0.5, cost, n_trials=12, population=8, seed=3, trial_max_size_ratio=1.0)
    assert np.array_equal(again.genomes, plan.genomes)  # deterministic
    with pytest.raises(ValueError, match="trial_max_size_ratio"):
        plan_morph("clone", 0.5, cost, n_trials=2, population=4, seed=0, trial_max_size_ratio=0.001)


# -- surrogates ---------------------------------------------------------------------------------------------------


def test_surrogates_follow_the_sklearn_recipe_on_synthetic_data() -> None:
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.model_selection import GridSearchCV, KFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    space = _space()
    X = latin_hypercube_sample(space, 40, seed=1)
    layers = np.array([space.values(g)["num_hidden_layers"] for g in X], dtype=float)
    hidden = np.array([space.values(g)["hidden_size"] for g in X], dtype=float)
    acc = expit(0.3 * layers - 0.1 * (hidden - 24))  # a known function of two genes
    flips = 5.0 * layers  # integer counts
    grid = {"n_estimators": [50], "learning_rate": [0.1, 0.2], "max_depth": [2, 3]}
    sur = MorphSurrogates(space, grid, seed=0).fit(X, acc, flips)

    F = encode_features(space, X)
    logit = np.log(acc / (1 - acc))
    ref_acc = make_pipeline(StandardScaler(), GradientBoostingRegressor(random_state=0)).fit(F, logit)
    np.testing.assert_allclose(sur.predict_accuracy(X), expit(ref_acc.predict(F)), rtol=1e-10)
    ref_grid = GridSearchCV(
        make_pipeline(StandardScaler(), GradientBoostingRegressor(random_state=0)),
        {f"gradientboostingregressor__{k}": v for k, v in grid.items()},
        cv=KFold(3, shuffle=True, random_state=0),
        scoring="neg_mean_absolute_error",
    ).fit(F, flips)
    np.testing.assert_array_equal(sur.predict_flips(X), np.clip(np.rint(ref_grid.predict(F)), 0, None))
    assert sur.flip_params == {k.split("__")[1]: v for k, v in ref_grid.best_params_.items()}
    pred = sur.predict_flips(X)
    assert np.all(pred >= 0) and np.all(pred == np.rint(pred))
    assert np.all((sur.predict_accuracy(X) > 0) & (sur.predict_accuracy(X) < 1))
    quality = sur.cross_validate(X, acc, flips)
    assert quality["flips"]["cv_r2"] > 0.8  # a step function of one gene: trees learn it out of fold
    assert quality["accuracy"]["cv_mae"] < 0.1
    with pytest.raises(ValueError, match=">= 3"):
        MorphSurrogates(space).fit(X[:2], acc[:2], flips[:2])


def _solution(size: float, acc: float, flips: float, gflops: float) -> Solution:
    objectives = {"size_mb": size, FLIPS: flips, "gflops": gflops, "accuracy": acc}
    return Solution((0,), TINY_SPEC, {}, {}, objectives, size, gflops)


def test_selection_is_by_size_not_by_flips() -> None:
    front = [
        _solution(3.4, 0.95, 0.0, 1.0),  # fewest flips, far from the budget
        _solution(3.01, 0.90, 40.0, 1.0),
        _solution(2.98, 0.90, 30.0, 1.2),  # within 2% of the closest size: ties on accuracy -> fewer flips
        _solution(2.5, 0.99, 10.0, 0.5),
    ]
    assert select_morph(front, 3.0) is front[2]
    assert select_morph(front, None) is front[0]


def test_hypervolume_matches_a_hand_computed_two_point_front() -> None:
    # two objectives (min size, max accuracy): normalised points (0, 1) and (1, 0), reference point (1.1, 1.1):
    # union of [0,1.1]x[1,1.1] and [1,1.1]x[0,1.1] = 1.1*0.1 + 0.1*1.1 - 0.1*0.1 = 0.21
    front = [_solution(1.0, 0.5, 0, 0), _solution(2.0, 0.9, 0, 0)]
    objectives = [("size_mb", "min"), ("accuracy", "max")]
    assert hypervolume(front, objectives) == pytest.approx(0.21)
    # measured in a wider span (a worse initial point at size 3, accuracy 0.1): points (0, 0.5) and (0.5, 0)
    # -> 1.1*0.6 + 0.6*1.1 - 0.6*0.6 = 0.96
    assert hypervolume(front, objectives, reference_points=np.array([[3.0, -0.1]])) == pytest.approx(0.96)
    # a lone point scores the maximum 1.1^2 on its own, but not beside a smaller initial point (size 0.5,
    # accuracy 0.2): it normalises to (1, 0) -> 0.1*1.1 = 0.11
    assert hypervolume(front[:1], objectives) == pytest.approx(1.21)
    assert hypervolume(front[:1], objectives, reference_points=np.array([[0.5, -0.2]])) == pytest.approx(0.11)


# -- the collapsed-student guard ------------------------------------------------------------------------------------


def test_a_one_label_student_never_looks_robust() -> None:
    labels = torch.tensor([0, 1, 1, 0, 1, 0])
    ones = torch.ones(6, dtype=torch.long)
    m = flip_metrics(ones, ones, labels)
    assert m["flips"] == 0 and m["collapsed"] == 1.0 and m["flips_guarded"] == 6  # worst possible
    assert m["acc"] == m["meta_acc"] == m["morph_acc"] == 0.5
    good = torch.tensor([0, 1, 1, 0, 0, 0])
    m = flip_metrics(good, torch.tensor([0, 1, 1, 1, 0, 0]), labels)
    assert (m["flips"], m["collapsed"], m["flips_guarded"]) == (1.0, 0.0, 1.0)
    assert m["acc"] == pytest.approx(5 / 6) and m["meta_acc"] == pytest.approx(4 / 6)
    # collapsed on the union: a student predicting 1 on originals and 0 on variants flips everything, not collapsed
    assert not is_collapsed(np.r_[np.ones(5), np.zeros(5)])
    assert is_collapsed(np.r_[np.ones(99), np.zeros(1)], min_fraction=0.01)
    assert not is_collapsed(np.r_[np.ones(99), np.zeros(1)])
    assert guard_flips(3, False, 10) == 3 and guard_flips(0, True, 10) == 10
    metrics = {"val/morph_acc": 0.6, "val/flips": 0.0, "val/collapsed": 1.0, "val/n": 16.0}
    scores = trial_scores(TrialResult("t", "ok", 0.6, metrics), "val/morph_acc")
    assert (scores.flips, scores.raw_flips, scores.collapsed) == (16.0, 0.0, True)
    with pytest.raises(ValueError, match="val/flips"):
        trial_scores(TrialResult("t", "ok", 0.6, {"val/morph_acc": 0.6}), "val/morph_acc")


# -- loss ---------------------------------------------------------------------------------------------------------------


def test_loss_matches_a_hand_computed_reference() -> None:
    T = 2.0
    student = torch.tensor([[0.0, 2 * math.log(3)], [0.0, 0.0]])  # p_s = (1/4, 3/4) and (1/2, 1/2) at T = 2
    teacher = torch.zeros(2, 2)  # p_t = (1/2, 1/2)
    row1 = T**2 * 0.5 * math.log(16 / 3) + 1 - 2 / math.sqrt(5)  # CE = -(ln 1/4 + ln 3/4)/2; cos = 2/sqrt(5)
    row2 = T**2 * math.log(2) + 0.0  # CE = entropy ln 2; cos = 1
    expected = (row1 + row2) / 2
    assert morph_loss(student, teacher, T).item() == pytest.approx(expected, rel=1e-6)
    assert MorphKD(ModelRef("t")).temperature == 3.0
    with pytest.raises(ValueError, match="temperature"):
        morph_loss(student, teacher, 0.0)


# -- checkpoint choice ---------------------------------------------------------------------------------------------

EPOCHS = [  # (mean of original/metamorphic accuracy, guarded flips)
    (0.800, 50),  # 1 first: chosen
    (0.820, 60),  # 2 higher accuracy: chosen (more flips do not matter)
    (0.817, 40),  # 3 within 0.5% of 0.820 and fewer flips than 60: chosen
    (0.816, 45),  # 4 within, but more flips than 40: kept 3
    (
        0.814,
        30,
    ),  # 5 0.6% below the best 0.820: not a tie (the reference code, anchored at 0.817, would take it)
    (0.816, 35),  # 6 within 0.4% and fewer flips than 40: chosen
    (0.830, 100),  # 7 higher: chosen
]


def test_selection_rule_on_a_scripted_run() -> None:
    rule = SelectionRule(0.005)
    taken = [i + 1 for i, (acc, flips) in enumerate(EPOCHS) if rule.update(acc, flips)]
    assert taken == [1, 2, 3, 6, 7]
    assert (rule.accuracy, rule.flips, rule.top) == (0.830, 100, 0.830)


def test_selection_callback_drives_a_monotone_checkpoint_score_and_resumes() -> None:
    callback = MorphSelection()
    trainer = SimpleNamespace(sanity_checking=False, callback_metrics={}, loggers=[], global_step=0)
    scores = []
    for i, (acc, flips) in enumerate(EPOCHS[:5]):
        trainer.callback_metrics = {
            "val/morph_acc": torch.tensor(acc),
            "val/flips_guarded": torch.tensor(float(flips)),
            "val/acc": torch.tensor(acc + 0.01),
            "val/epoch_tag": torch.tensor(float(i + 1)),
        }
        callback.on_validation_end(trainer, None)  # type: ignore[arg-type]
        scores.append(float(trainer.callback_metrics["val/morph_selection"]))
    assert scores == [1, 2, 3, 3, 3]  # rises exactly at the chosen epochs; ModelCheckpoint(max) saves those
    assert callback.selected["val/epoch_tag"] == 3 and callback.selected["val/selected_validation"] == 3
    resumed = MorphSelection()
    resumed.load_state_dict(json.loads(json.dumps(callback.state_dict())))
    for acc, flips in EPOCHS[5:]:
        trainer.callback_metrics = {
            "val/morph_acc": torch.tensor(acc),
            "val/flips_guarded": torch.tensor(flips),
        }
        resumed.on_validation_end(trainer, None)  # type: ignore[arg-type]
    assert resumed.rule.accepted == 5 and resumed.selected["val/selected_validation"] == 7
    trainer.callback_metrics = {"val/acc": torch.tensor(0.5)}
    with pytest.raises(RuntimeError, match="val/morph_acc"):
        resumed.on_validation_end(trainer, None)  # type: ignore[arg-type]


# -- metamorphic data and its cache -----------------------------------------------------------------------------------

JAVA = {
    "1": "static int sum(int[] arr, int n) { int s = 0; for (int i = 0; i < n; i++) { s += arr[i]; } return s; }",
    "2": "static void copy(String src, String dst) { String tmp = src; System.out.println(tmp + dst); }",
    "3": "boolean isEmpty(java.util.List<String> items) { return items.size() == 0; }",
}


def _split(functions: dict[str, str]) -> CodeSplit:
    return CodeSplit("val", [(("1", "2"), 0), (("2", "3"), 1)], functions)


def test_metamorphic_variants_are_cached_by_data_transforms_and_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METACOMPRESS_CACHE", str(tmp_path))
    split = _split(dict(JAVA))
    meta, stats = metamorphic_split(split, "java", ["natural_rename"], seed=0)
    assert not stats.cache_hit and stats.functions == 3 and stats.changed == 2
    assert meta.items == [
        ((META_PREFIX + "1", META_PREFIX + "2"), 0),
        ((META_PREFIX + "2", META_PREFIX + "3"), 1),
    ]
    assert meta.functions[META_PREFIX + "1"] != JAVA["1"]  # renamed (arr, n -> natural names), same shape
    assert meta.functions[META_PREFIX + "1"].count("return") == 1 and "arr[" not in meta.functions["meta:1"]
    assert meta.functions[META_PREFIX + "3"] == JAVA["3"]  # no natural_rename site: kept as it is
    # reused: the cached file is what a second call returns (a sentinel written into it comes back)
    path = Path(stats.cache_path)
    data = json.loads(path.read_text())
    data["variants"]["1"] = "int sentinel() { return 0; }"
    path.write_text(json.dumps(data))
    again, stats2 = metamorphic_split(split, "java", ["natural_rename"], seed=0)
    assert stats2.cache_hit and again.functions[META_PREFIX + "1"] == "int sentinel() { return 0; }"
    # invalidated: another seed, another transform list, other data -> other keys, built afresh
    other_seed = metamorphic_split(split, "java", ["natural_rename"], seed=1)[1]
    other_list = metamorphic_split(split, "java", ["natural_rename", "reformat"], seed=0)[1]
    edited = dict(JAVA, **{"3": JAVA["3"].replace("== 0", "== 1")})
    other_data = metamorphic_split(_split(edited), "java", ["natural_rename"], seed=0)[1]
    paths = {stats.cache_path, other_seed.cache_path, other_list.cache_path, other_data.cache_path}
    assert len(paths) == 4 and not any(s.cache_hit for s in (other_seed, other_list, other_data))
    assert len(list(tmp_path.glob("metamorphic/*.json"))) == 4
    # other transform code (say natural_rename before it renamed the function): another key, not a stale hit
    import fidelity.transforms as public_transforms

    monkeypatch.setattr(public_transforms, "code_fingerprint", lambda: "other transform code")
    other_code = metamorphic_split(split, "java", ["natural_rename"], seed=0)[1]
    assert not other_code.cache_hit and other_code.cache_path not in paths
    # per-function seeds: a function's variant does not depend on the slice it was built in
    alone = metamorphic_split(
        CodeSplit("val", [(("2",), 0)], dict(JAVA)), "java", ["natural_rename"], seed=1
    )[0]
    both = metamorphic_split(split, "java", ["natural_rename"], seed=1)[0]
    assert alone.functions[META_PREFIX + "2"] == both.functions[META_PREFIX + "2"]
    assert function_seed(0, "a", 0) != function_seed(0, "a", 1)
    combined = combined_split(split, meta, "distill_morph")
    assert len(combined) == 4 and combined.items[2] == meta.items[0]


def test_unknown_transform_and_bad_options_are_named() -> None:
    with pytest.raises(ValueError, match="no_such_transform"):
        MorphKD(ModelRef("t"), transforms=["no_such_transform"])
    with pytest.raises(ValueError, match="augment_targets"):
        MorphKD(ModelRef("t"), augment_targets="both")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="collapse_min_fraction"):
        MorphKD(ModelRef("t"), collapse_min_fraction=0.5)
