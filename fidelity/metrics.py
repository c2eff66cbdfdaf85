"""torchmetrics wrappers of :mod:`fidelity.relations`: sum states only, so batches accumulate exactly.

``FidelityRelations`` is the one the FidelityCallback uses: ``update(t_src, s_src, t_fu, s_fu, labels)``
with teacher/student probabilities on sources x and follow-ups x', ``compute()`` returns the stable keys
in :data:`RELATION_KEYS` (plus a few documented extras). The small single-relation classes are for
users who want one number in a ``MetricCollection``.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torchmetrics import Metric

from fidelity import relations as R

#: Keys of FidelityRelations.compute(); they become MLflow metric names, keep them stable.
RELATION_KEYS: tuple[str, ...] = (
    "agreement_violation",
    "agreement_violation_source",
    "distribution_violation",
    "js_distance",
    "confidence_violation",
    "confidence_violation_teacher_confident",
    "calibration_gap",
    "ece_teacher",
    "ece_student",
    "confidence_gap_violation",
    "flip_rate_teacher",
    "flip_rate_student",
    "acc_teacher_source",
    "acc_teacher_followup",
    "acc_student_source",
    "acc_student_followup",
    "robustness_drop_teacher",
    "robustness_drop_student",
    "robustness_drop_relative",
    "n_pairs",
)

_COUNTS = (
    "n",
    "n_teacher_confident",
    "agree_viol",
    "agree_viol_src",
    "dist_viol",
    "js_sum",
    "conf_viol",
    "conf_gap_viol",
    "flip_t",
    "flip_s",
    "hit_t_src",
    "hit_t_fu",
    "hit_s_src",
    "hit_s_fu",
)


def _check_unit(name: str, value: float, closed: bool = False) -> float:
    ok = 0.0 <= value <= 1.0 if closed else 0.0 < value < 1.0
    if not ok:
        interval = "[0, 1]" if closed else "(0, 1)"
        raise ValueError(f"Expected `{name}` in {interval}, got {value}")
    return float(value)


def _check_n_bins(n_bins: int) -> int:
    if not isinstance(n_bins, int) or n_bins < 1:
        raise ValueError(f"Expected `n_bins` a positive integer, got {n_bins!r}")
    return n_bins


def _zero() -> Tensor:
    return torch.zeros((), dtype=torch.float64)


class FidelityRelations(Metric):
    """All MetaCompress relations over (x, x') pairs for one follow-up type.

    Rates are over all pairs except ``confidence_violation_teacher_confident`` (over pairs where T is
    confident on x'). ``calibration_gap`` = |ECE_S − ECE_T| on the follow-ups (signed parts are in
    ``ece_teacher`` / ``ece_student``). Accuracies are fractions; drops are acc_x − acc_x'.
    ``robustness_drop_relative`` follows :func:`fidelity.relations.robustness_drop_relative`.
    With no pairs every key is 0 and ``n_pairs`` is 0, so a logger never sees NaN.
    """

    full_state_update = False
    higher_is_better = False  # the headline values are violation rates
    is_differentiable = False
    n: Tensor
    n_teacher_confident: Tensor
    conf_viol: Tensor
    bins_t: Tensor
    bins_s: Tensor

    def __init__(
        self,
        tau_d: float = 0.1,
        tau_c: float = 0.9,
        tau_g: float = 0.1,
        n_bins: int = 15,
        drop_floor: float = 0.01,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.tau_d = _check_unit("tau_d", tau_d)
        self.tau_c = _check_unit("tau_c", tau_c)
        self.tau_g = _check_unit("tau_g", tau_g)
        self.n_bins = _check_n_bins(n_bins)
        if not 0.0 < drop_floor <= 1.0:
            raise ValueError(f"Expected `drop_floor` in (0, 1], got {drop_floor}")
        self.drop_floor = float(drop_floor)
        for name in _COUNTS:
            self.add_state(name, default=_zero(), dist_reduce_fx="sum")
        for name in ("bins_t", "bins_s"):  # rows: count, confidence sum, correct sum
            self.add_state(name, default=torch.zeros(3, n_bins, dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, t_src: Tensor, s_src: Tensor, t_fu: Tensor, s_fu: Tensor, labels: Tensor) -> None:
        t_src, s_src = R.check_probs(t_src, "t_src"), R.check_probs(s_src, "s_src")
        t_fu, s_fu = R.check_probs(t_fu, "t_fu"), R.check_probs(s_fu, "s_fu")
        if not t_src.shape == s_src.shape == t_fu.shape == s_fu.shape:
            shapes = [tuple(p.shape) for p in (t_src, s_src, t_fu, s_fu)]
            raise ValueError(f"Expected t_src, s_src, t_fu, s_fu of one shape, got {shapes}")
        labels = R.check_labels(labels, t_src.shape[0], t_src.shape[1])
        self._add("n", torch.ones_like(labels))
        self._add("n_teacher_confident", R.teacher_confident(t_fu, self.tau_c))
        self._add("agree_viol", R.disagreement(t_fu, s_fu))
        self._add("agree_viol_src", R.disagreement(t_src, s_src))
        self._add("dist_viol", R.distribution_violation(t_fu, s_fu, self.tau_d))
        self._add("js_sum", R.js_distance(t_fu, s_fu))
        self._add("conf_viol", R.confidence_violation(t_fu, s_fu, self.tau_c))
        self._add("conf_gap_viol", R.confidence_gap_violation(t_fu, s_fu, self.tau_g))
        self._add("flip_t", R.flips(t_src, t_fu))
        self._add("flip_s", R.flips(s_src, s_fu))
        self._add("hit_t_src", R.correct(t_src, labels))
        self._add("hit_t_fu", R.correct(t_fu, labels))
        self._add("hit_s_src", R.correct(s_src, labels))
        self._add("hit_s_fu", R.correct(s_fu, labels))
        self.bins_t += torch.stack(R.calibration_bins(t_fu, labels, self.n_bins))
        self.bins_s += torch.stack(R.calibration_bins(s_fu, labels, self.n_bins))

    def _add(self, state: str, per_example: Tensor) -> None:
        setattr(self, state, getattr(self, state) + per_example.double().sum())

    def compute(self) -> dict[str, Tensor]:
        n = self.n

        def rate(state: str) -> Tensor:
            return R.safe_rate(getattr(self, state), n)

        acc = {key: rate(f"hit_{key}") for key in ("t_src", "t_fu", "s_src", "s_fu")}
        drop_t, drop_s = acc["t_src"] - acc["t_fu"], acc["s_src"] - acc["s_fu"]
        ece_t, ece_s = R.ece_from_bins(*self.bins_t), R.ece_from_bins(*self.bins_s)
        out = {
            "agreement_violation": rate("agree_viol"),
            "agreement_violation_source": rate("agree_viol_src"),
            "distribution_violation": rate("dist_viol"),
            "js_distance": rate("js_sum"),
            "confidence_violation": rate("conf_viol"),
            "confidence_violation_teacher_confident": R.safe_rate(self.conf_viol, self.n_teacher_confident),
            "calibration_gap": (ece_s - ece_t).abs(),
            "ece_teacher": ece_t,
            "ece_student": ece_s,
            "confidence_gap_violation": rate("conf_gap_viol"),
            "flip_rate_teacher": rate("flip_t"),
            "flip_rate_student": rate("flip_s"),
            "acc_teacher_source": acc["t_src"],
            "acc_teacher_followup": acc["t_fu"],
            "acc_student_source": acc["s_src"],
            "acc_student_followup": acc["s_fu"],
            "robustness_drop_teacher": drop_t,
            "robustness_drop_student": drop_s,
            "robustness_drop_relative": R.robustness_drop_relative(drop_t, drop_s, self.drop_floor),
            "n_pairs": n.clone(),
        }
        assert tuple(out) == RELATION_KEYS
        return out


class _PairRate(Metric):
    """Base for single relations on (teacher, student) follow-up probabilities: a violation count."""

    full_state_update = False
    higher_is_better = False
    is_differentiable = False
    violations: Tensor
    total: Tensor

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.add_state("violations", default=_zero(), dist_reduce_fx="sum")
        self.add_state("total", default=_zero(), dist_reduce_fx="sum")

    def _violations(self, a: Tensor, b: Tensor) -> Tensor:
        raise NotImplementedError

    def update(self, a: Tensor, b: Tensor) -> None:
        a, b = R.check_probs(a, "a"), R.check_probs(b, "b")
        if a.shape != b.shape:
            raise ValueError(
                f"Expected two probability tensors of one shape, got {tuple(a.shape)}, {tuple(b.shape)}"
            )
        self.violations += self._violations(a, b).double().sum()
        self.total += a.shape[0]

    def compute(self) -> Tensor:
        return R.safe_rate(self.violations, self.total)


class AgreementViolation(_PairRate):
    """Share of pairs where teacher and student labels differ: ``update(t_probs, s_probs)``."""

    def _violations(self, a: Tensor, b: Tensor) -> Tensor:
        return R.disagreement(a, b)


class DistributionViolation(_PairRate):
    """Share of pairs whose base-2 JS distance exceeds ``tau_d``: ``update(t_probs, s_probs)``."""

    def __init__(self, tau_d: float = 0.1, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.tau_d = _check_unit("tau_d", tau_d)

    def _violations(self, a: Tensor, b: Tensor) -> Tensor:
        return R.distribution_violation(a, b, self.tau_d)


class ConfidenceViolation(_PairRate):
    """Share of all pairs where T is confident (≥ ``tau_c``) and S is not confident on T's label."""

    def __init__(self, tau_c: float = 0.9, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.tau_c = _check_unit("tau_c", tau_c)

    def _violations(self, a: Tensor, b: Tensor) -> Tensor:
        return R.confidence_violation(a, b, self.tau_c)


class FlipRate(_PairRate):
    """One model's prediction flips: ``update(probs_on_sources, probs_on_followups)``."""

    def _violations(self, a: Tensor, b: Tensor) -> Tensor:
        return R.flips(a, b)


class CalibrationGap(Metric):
    """|ECE_S − ECE_T| with ``n_bins`` equal-width bins: ``update(t_probs, s_probs, labels)``."""

    full_state_update = False
    higher_is_better = False
    is_differentiable = False
    bins_t: Tensor
    bins_s: Tensor

    def __init__(self, n_bins: int = 15, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.n_bins = _check_n_bins(n_bins)
        for name in ("bins_t", "bins_s"):
            self.add_state(name, default=torch.zeros(3, n_bins, dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, t_probs: Tensor, s_probs: Tensor, labels: Tensor) -> None:
        t_probs, s_probs = R.check_probs(t_probs, "t_probs"), R.check_probs(s_probs, "s_probs")
        if t_probs.shape != s_probs.shape:
            raise ValueError(
                f"Expected t_probs and s_probs of one shape, got {tuple(t_probs.shape)}, {tuple(s_probs.shape)}"
            )
        labels = R.check_labels(labels, t_probs.shape[0], t_probs.shape[1])
        self.bins_t += torch.stack(R.calibration_bins(t_probs, labels, self.n_bins))
        self.bins_s += torch.stack(R.calibration_bins(s_probs, labels, self.n_bins))

    def compute(self) -> Tensor:
        return (R.ece_from_bins(*self.bins_s) - R.ece_from_bins(*self.bins_t)).abs()
