"""AVATAR's search parts: z3 bounds vs brute force, surrogate vs known coefficients, sampling, trials runner."""

from __future__ import annotations

import itertools
from pathlib import Path

import mlflow
import numpy as np
import pytest
import torch

from kd.cost import size_mb
from kd.search import Gene, SearchSpace
from kd.search.avatar_space import avatar_space
from kd.search.objectives import CostModel
from kd.search.sampling import adaptive_random_sample, latin_hypercube_sample
from kd.search.smt import feasible_bounds
from kd.search.space import DEFAULT_BASE
from kd.search.surrogate import Surrogate, encode_features, feature_names
from kd.search.trials import LocalLauncher, Trial, TrialRunner, launcher_by_name, register_launcher

SMALL = SearchSpace(
    genes=(
        Gene("vocab_size", (1000, 2000, 3000, 5000, 8000)),
        Gene.int_range("num_hidden_layers", 1, 4),
        Gene.int_range("hidden_size", 12, 64, 4),
        Gene("intermediate_size", (32, 64, 128, 512)),
        Gene.int_range("num_attention_heads", 1, 6),
        Gene.int_range("max_seq_len", 64, 256, 64, field="max_position_embeddings", offset=2),
    )
)


def _brute_bounds(space: SearchSpace, target: float, seq: int | None) -> dict[str, list[int]]:
    """Enumerate every genome, keep valid (hidden % heads) ones within the budget, min/max per gene."""
    feasible = []
    for genome in itertools.product(*(range(len(g.values)) for g in space.genes)):
        v = space.values(genome)
        if v["hidden_size"] % v["num_attention_heads"]:
            continue
        spec = space.decode(genome, DEFAULT_BASE)
        if size_mb(spec, seq) <= target:  # seq None: the spec's own position table
            feasible.append(v)
    return {g.name: [min(f[g.name] for f in feasible), max(f[g.name] for f in feasible)] for g in space.genes}


@pytest.mark.parametrize(("target", "convention"), [(0.1, "spec"), (0.25, "spec"), (0.1, "compressor")])
def test_z3_bounds_equal_brute_force_bounds(target: float, convention: str) -> None:
    got = feasible_bounds(SMALL, target, CostModel(size_convention=convention))  # type: ignore[arg-type]
    expected = _brute_bounds(SMALL, target, None if convention == "spec" else 514)
    assert got.bounds == expected
    assert any(got.bounds[g.name] != [min(g.values), max(g.values)] for g in SMALL.genes)  # it did prune


def test_z3_reports_an_infeasible_budget() -> None:
    with pytest.raises(ValueError, match="0.001 MB"):
        feasible_bounds(SMALL, 0.001)


def test_z3_on_avatar_space_is_fast_enough_to_run_per_config() -> None:
    got = feasible_bounds(avatar_space("clone"), 0.5)
    # Hand check of the hidden bound: at h = 70 the smallest model (V 1000, L 1, I 32, 258 positions, heads 1)
    # is under 0.5 MB and at h = 71 it is not (sizes by kd.cost.size_mb).
    assert got.bounds["hidden_size"][1] == 70
    base = DEFAULT_BASE.replace(num_hidden_layers=1, intermediate_size=32, num_attention_heads=1)
    assert size_mb(base.replace(hidden_size=70), 258) <= 0.5 < size_mb(base.replace(hidden_size=71), 258)
    assert got.checks < 100


def test_surrogate_recovers_known_coefficients() -> None:
    space = SearchSpace(
        genes=(
            Gene.int_range("a", 0, 20),
            Gene("b", (0.1, 0.2, 0.3, 0.4, 0.5)),
            Gene("kind", ("x", "y", "z")),
            Gene("lr", (1e-3, 1e-4, 1e-5)),
        )
    )
    rng = np.random.default_rng(0)
    G = np.stack([rng.integers(0, n, 200) for n in (21, 5, 3, 3)], axis=1)
    a = np.array(space.genes[0].values)[G[:, 0]]
    b = np.array(space.genes[1].values)[G[:, 1]]
    lr = np.log10(np.array(space.genes[3].values)[G[:, 3]])
    kind_y = (G[:, 2] == 1).astype(float)
    y = 0.5 + 0.02 * a - 0.3 * b + 0.1 * kind_y + 0.05 * lr + rng.normal(0, 1e-3, 200)
    sur = Surrogate(space).fit(G, y)
    coef = sur.coefficients()
    assert feature_names(space) == ["a", "b", "kind=x", "kind=y", "kind=z", "log10(lr)"]
    assert coef["a"] == pytest.approx(0.02, abs=1e-3)
    assert coef["b"] == pytest.approx(-0.3, abs=1e-2)
    assert coef["log10(lr)"] == pytest.approx(0.05, abs=2e-3)
    # One-hot columns are collinear with the intercept: only differences are identified.
    assert coef["kind=y"] - coef["kind=x"] == pytest.approx(0.1, abs=5e-3)
    assert coef["kind=z"] - coef["kind=x"] == pytest.approx(0.0, abs=5e-3)
    scores = sur.cross_validate(G, y)
    assert scores["cv_r2"] > 0.99 and scores["cv_mae"] < 5e-3
    assert sur.predict(G[:3]) == pytest.approx(y[:3], abs=5e-3)
    assert encode_features(space, G).shape == (200, 6)


def test_adaptive_random_sample_is_spread_feasible_and_deterministic() -> None:
    space = avatar_space("vulnerability")
    cm = CostModel(size_convention="spec")

    def fits(x: np.ndarray) -> bool:
        return cm.size_mb(space.decode(x)) <= 1.0

    a = adaptive_random_sample(space, 8, seed=1, feasible=fits)
    assert (a == adaptive_random_sample(space, 8, seed=1, feasible=fits)).all()
    assert len({tuple(x) for x in a}) == 8 and all(fits(x) for x in a)
    assert all(space.decode(x).hidden_size % space.decode(x).num_attention_heads == 0 for x in a)
    # Farther apart than plain random draws: mean nearest-neighbour distance over 12 samples.
    scale = np.maximum(space.upper, 1).astype(float)

    def spread(X: np.ndarray) -> float:
        Z = X / scale
        d = np.linalg.norm(Z[:, None] - Z[None], axis=-1) + np.eye(len(Z)) * 1e9
        return float(d.min(axis=1).mean())

    rng = np.random.default_rng(1)
    plain = np.array([space.repair(rng.integers(0, space.upper + 1)) for _ in range(12)])
    assert spread(adaptive_random_sample(space, 12, seed=1)) > spread(plain)
    grid = SearchSpace(genes=tuple(Gene.int_range(n, 0, 9) for n in ("p", "q", "r")))
    lhs = latin_hypercube_sample(grid, 5, seed=0)
    for j in range(3):  # 10 values in 5 strata of 2: one sample per stratum and gene
        assert sorted(lhs[:, j] // 2) == [0, 1, 2, 3, 4]


def test_avatar_space_genes_and_overrides() -> None:
    space = avatar_space("clone")
    assert space.n_var == 13 and space.gene("batch_size").values == (8, 16)
    assert avatar_space("vulnerability").gene("batch_size").values == (16, 32, 64)
    assert space.gene("vocab_size").values[0] == 1000 and space.gene("vocab_size").values[-1] == 46000
    assert space.gene("hidden_dropout_prob").values == (0.2, 0.3, 0.4, 0.5)
    spec = space.decode(space.repair(np.zeros(13, dtype=int)))
    assert spec.max_position_embeddings == 258 and spec.tokenizer == "bpe"
    custom = avatar_space(
        "clone", {"num_hidden_layers": {"low": 1, "high": 3}, "attention_probs_dropout_prob": [0.0]}
    )
    assert custom.gene("num_hidden_layers").values == (1, 2, 3)
    assert custom.gene("attention_probs_dropout_prob").values == (0.0,)
    with pytest.raises(ValueError, match="no gene 'layers'"):
        avatar_space("clone", {"layers": [1]})
    with pytest.raises(ValueError, match="relative-key"):
        avatar_space("clone", {"position_embedding_type": ["absolute", "relative_key"]})
    with pytest.raises(ValueError, match="low, high"):
        avatar_space("clone", {"num_hidden_layers": {"lo": 1}})


def _trial(first: int, i: int) -> Trial:
    return Trial(spec={"i": i}, hparams={}, module={}, data={}, genome=[first, i], metric="val/acc")


def test_crashing_trial_is_recorded_and_the_others_run_and_resume(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    client = mlflow.MlflowClient(uri)
    exp = client.create_experiment("t", artifact_location=(tmp_path / "art").as_uri())
    parent = client.create_run(exp).info.run_id
    launcher = LocalLauncher(module="tests.kd.fake_trial")
    runner = TrialRunner(
        tmp_path / "s", launcher, workers=2, tracking_uri=uri, parent_run_id=parent, progress=False
    )
    trials = [_trial(0, 1), _trial(1, 2), _trial(0, 3)]
    results = runner.run(trials)
    assert [r.status for r in results] == ["ok", "failed", "ok"]
    assert [r.metric for r in results] == [1.0, None, 3.0]
    assert "exit code 3" in results[1].error and "simulated crash" in results[1].error
    children = client.search_runs([exp], filter_string=f"tags.mlflow.parentRunId = '{parent}'")
    assert sorted(r.info.status for r in children) == ["FAILED", "FINISHED", "FINISHED"]
    ok_run = next(r for r in children if r.data.tags["kd.trial_id"] == trials[2].trial_id)
    assert ok_run.data.metrics["trial/val/acc"] == 3.0
    # Resume: the finished trials are loaded, only the failed one runs again.
    again = runner.run(trials)
    assert [r.resumed for r in again] == [True, False, True]
    runs = {
        t.trial_id: int((tmp_path / "s" / "trials" / t.trial_id / "runs.txt").read_text()) for t in trials
    }
    assert list(runs.values()) == [1, 2, 1]


def test_launcher_registry() -> None:
    assert isinstance(launcher_by_name("local"), LocalLauncher)
    assert isinstance(launcher_by_name("kd.search.trials.LocalLauncher", timeout_s=5), LocalLauncher)
    register_launcher("mine", LocalLauncher)
    assert isinstance(launcher_by_name("mine"), LocalLauncher)
    with pytest.raises(ValueError, match="'dask'.*local"):
        launcher_by_name("dask")


def test_bounded_surrogate_fits_in_logit_space_and_never_predicts_past_one() -> None:
    space = SearchSpace(genes=(Gene.int_range("a", 0, 20), Gene("kind", ("x", "y"))))
    rng = np.random.default_rng(1)
    G = np.stack([rng.integers(0, 21, 300), rng.integers(0, 2, 300)], axis=1)
    a = G[:, 0].astype(float)
    z = -3.0 + 0.4 * a + 1.5 * (G[:, 1] == 1)  # known logit-linear truth
    y = 1 / (1 + np.exp(-z))  # metric in (0.047, 0.9995)
    sur = Surrogate(space, bounded=True).fit(G, y)
    coef = sur.coefficients()  # logit units
    assert coef["a"] == pytest.approx(0.4, abs=1e-2)
    assert coef["kind=y"] - coef["kind=x"] == pytest.approx(1.5, abs=3e-2)
    assert sur.predict(G[:5]) == pytest.approx(y[:5], abs=2e-3)
    # A raw linear fit of the same data extrapolates past 1 at the top of the range; the bounded one cannot.
    top = np.array([[20, 1]])
    assert Surrogate(space).fit(G, y).predict(top)[0] > 1.0
    assert 0.99 < sur.predict(top)[0] < 1.0
    assert sur.cross_validate(G, y)["cv_r2"] > 0.99
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        Surrogate(space, bounded=True).fit(G, y + 1)


def test_is_collapsed_trial_reads_the_positive_rate_of_the_best_model() -> None:
    from kd.search.avatar_search import is_collapsed_trial
    from kd.search.trials import TrialResult

    def result(rate: float | None, status: str = "ok") -> TrialResult:
        metrics = {} if rate is None else {"val/positive_rate": rate}
        return TrialResult("t", status, 0.7 if status == "ok" else None, metrics, 1.0)

    assert is_collapsed_trial(result(1.0)) and is_collapsed_trial(result(0.0))
    assert not is_collapsed_trial(result(0.98))  # 2 % in the rarer class is not "one class"
    assert is_collapsed_trial(result(0.98), min_fraction=0.05)
    assert not is_collapsed_trial(result(None))  # no rate logged: unknown, not collapsed
    assert not is_collapsed_trial(result(1.0, "failed"))


def test_the_methods_default_collapse_rule_is_two_percent() -> None:
    """The shipped default counts the 99 %-one-class trial of the 4,000-pair BigCloneBench search as collapsed
    (bench/results/avatar_clone.md) and a student with 10 % in its rarer class as learned."""
    from kd.collapse import DEFAULT_COLLAPSE_MIN_FRACTION
    from kd.methods.avatar import AvatarSearch
    from kd.methods.morph import MorphKD, flip_metrics
    from kd.models.ref import ModelRef
    from kd.search.avatar_search import is_collapsed_trial
    from kd.search.trials import TrialResult

    default = AvatarSearch().collapse_min_fraction
    assert default == DEFAULT_COLLAPSE_MIN_FRACTION == 0.02
    assert MorphKD(ModelRef("t")).collapse_min_fraction == 0.02

    def result(rate: float) -> TrialResult:
        return TrialResult("t", "ok", 0.8, {"val/positive_rate": rate}, 1.0)

    assert is_collapsed_trial(result(0.99), default) and is_collapsed_trial(result(0.015), default)
    assert not is_collapsed_trial(result(0.90), default) and not is_collapsed_trial(result(0.03), default)
    # MORPH's guard on originals + variants: 1 of 100 predictions in the rarer label (1 %) is collapsed, 5 % not
    labels = torch.zeros(50, dtype=torch.long)
    ones = torch.ones(50, dtype=torch.long)
    almost = ones.clone()
    almost[0] = 0
    assert flip_metrics(almost, ones, labels, default)["collapsed"] == 1.0
    five = ones.clone()
    five[:5] = 0
    assert flip_metrics(five, ones, labels, default)["collapsed"] == 0.0


def test_best_metrics_keep_every_metric_of_the_best_validation() -> None:
    from types import SimpleNamespace

    from kd.search.trials import _BestMetrics

    cb = _BestMetrics("val/f1")
    script = [  # (val/f1, val/positive_rate, val/loss) per validation
        (0.78, 1.00, 0.70),  # always "clone": F1 0.78 on a 64 %-positive slice
        (0.60, 0.55, 0.65),
        (0.81, 0.62, 0.66),  # best F1: its positive rate and loss are the ones kept
        (0.79, 1.00, 0.60),  # the lowest loss, of another model: not reported
    ]
    for f1, rate, loss in script:
        trainer = SimpleNamespace(
            sanity_checking=False,
            callback_metrics={"val/f1": f1, "val/positive_rate": rate, "val/loss": loss, "train/x": 9.0},
        )
        cb.on_validation_end(trainer, None)
    assert cb.values == {"val/f1": 0.81, "val/positive_rate": 0.62, "val/loss": 0.66}
    first = _BestMetrics(
        "val/f1"
    )  # a tie does not move the snapshot; a run without the metric keeps the latest
    for values in ({"val/f1": 0.7, "val/loss": 0.9}, {"val/f1": 0.7, "val/loss": 0.5}):
        first.on_validation_end(SimpleNamespace(sanity_checking=False, callback_metrics=values), None)
    assert first.values == {"val/f1": 0.7, "val/loss": 0.9}
    latest = _BestMetrics(None)
    for values in ({"val/acc": 0.9}, {"val/acc": 0.6}):
        latest.on_validation_end(SimpleNamespace(sanity_checking=False, callback_metrics=values), None)
    assert latest.values == {"val/acc": 0.6}


def test_collapsed_trials_are_recorded_and_kept_out_of_the_surrogate(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from kd.search.avatar_search import plan_avatar, run_avatar_search
    from kd.search.trials import TrialResult

    cost = CostModel()
    plan = plan_avatar("clone", 0.5, cost, n_trials=6, seed=0)

    class ScriptedRunner:  # trials 0 and 3 predict one class; the rest learned something
        root = tmp_path

        def run(self, trials: list[Trial]) -> list[TrialResult]:
            return [
                TrialResult(
                    t.trial_id,
                    "ok",
                    0.78 if i in (0, 3) else 0.6 + 0.03 * i,
                    {"val/f1": 0.78, "val/positive_rate": 1.0 if i in (0, 3) else 0.5},
                    1.0,
                )
                for i, t in enumerate(trials)
            ]

    def make(g: np.ndarray) -> Trial:
        return Trial(spec={}, hparams={}, module={}, data={}, genome=[int(x) for x in g], metric="val/f1")

    outcome, _ = run_avatar_search(
        plan,
        make,
        ScriptedRunner(),
        0.5,
        cost,
        population=6,
        generations=2,  # type: ignore[arg-type]
    )
    statuses = [row["status"] for row in outcome.meta["trials"]]
    assert statuses == ["collapsed", "ok", "ok", "collapsed", "ok", "ok"]
    assert outcome.meta["n_collapsed"] == 2 and outcome.meta["surrogate"]["n"] == 4
    assert outcome.meta["surrogate"]["target"] == "logit"

    class AllCollapsed(ScriptedRunner):
        def run(self, trials: list[Trial]) -> list[TrialResult]:
            return [TrialResult(t.trial_id, "ok", 0.78, {"val/positive_rate": 1.0}, 1.0) for t in trials]

    with caplog.at_level("WARNING", logger="kd.search.avatar_search"):
        outcome, _ = run_avatar_search(plan, make, AllCollapsed(), 0.5, cost, population=6, generations=2)  # type: ignore[arg-type]
    assert "6 of 6 finished trials collapsed" in caplog.text and "trial_epochs" in caplog.text
    assert outcome.meta["surrogate"]["includes_collapsed"] and outcome.meta["surrogate"]["n"] == 6
