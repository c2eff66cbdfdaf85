"""AVATAR's effectiveness indicator: scikit-learn `BayesianRidge` from an encoded configuration to a metric.

Features (`encode_features`): numeric genes by their value (log10 for genes spanning more than a decade, such
as learning rate or vocabulary size, as a linear model otherwise sees 1e-3 and 5e-5 as equal), categorical genes
(tokenizer, activation, position type) one-hot. Features are standardised before the regression. The model
is reported by k-fold cross-validated R² and MAE (`Surrogate.cross_validate`), as the issue asks, and its
coefficients can be read back in feature units (`Surrogate.coefficients`).

A metric bounded to [0, 1] (accuracy, F1 — AVATAR's trial metrics) is regressed in logit space when
``bounded=True`` (values clipped to [`EPS`, 1 − `EPS`] first) and predicted back through the logistic function,
so a prediction is always a possible metric value: a linear model on the raw metric extrapolates past 1 (a
search once chose a student for its "predicted F1 1.059"). Coefficients are then in logit units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kd.search.space import SearchSpace

EPS = 1e-3  # bounded metrics are clipped to [EPS, 1 - EPS] before the logit (a metric of exactly 0 or 1)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def feature_names(space: SearchSpace) -> list[str]:
    names: list[str] = []
    for g in space.genes:
        if all(_is_number(v) for v in g.values):
            names.append(f"log10({g.name})" if _log_scaled(g.values) else g.name)
        else:
            names += [f"{g.name}={v}" for v in g.values]
    return names


def _log_scaled(values: tuple[Any, ...]) -> bool:
    lo, hi = min(values), max(values)
    return bool(lo > 0 and hi / lo > 10)


def encode_features(space: SearchSpace, genomes: np.ndarray) -> np.ndarray:
    """(n, n_features) float features of index genomes (see the module docstring)."""
    X = np.atleast_2d(np.asarray(genomes)).round().astype(int)
    cols: list[np.ndarray] = []
    for j, g in enumerate(space.genes):
        idx = X[:, j]
        if all(_is_number(v) for v in g.values):
            vals = np.array(g.values, dtype=float)[idx]
            cols.append(np.log10(vals) if _log_scaled(g.values) else vals)
        else:
            cols += [(idx == k).astype(float) for k in range(len(g.values))]
    return np.stack(cols, axis=1)


@dataclass
class Surrogate:
    """Fitted ``StandardScaler → BayesianRidge`` pipeline over `encode_features`."""

    space: SearchSpace
    bounded: bool = False  # metric in [0, 1]: fit logit(y), predict expit (see the module docstring)
    model: Any = field(default=None, repr=False)

    def _target(self, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y, dtype=float)
        if not self.bounded:
            return y
        if np.any((y < 0) | (y > 1)):
            raise ValueError(f"bounded surrogate needs metric values in [0, 1], got {y.min()}..{y.max()}")
        p = np.clip(y, EPS, 1 - EPS)
        return np.asarray(np.log(p / (1 - p)))

    def _inverse(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=float)
        return np.asarray(1 / (1 + np.exp(-z))) if self.bounded else z

    def fit(self, genomes: np.ndarray, y: np.ndarray) -> Surrogate:
        from sklearn.linear_model import BayesianRidge
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        X = encode_features(self.space, genomes)
        y = np.asarray(y, dtype=float)
        if len(y) != len(X) or len(y) < 2:
            raise ValueError(
                f"surrogate needs >= 2 (configuration, metric) pairs of equal count, got {len(X)}/{len(y)}"
            )
        self.model = make_pipeline(StandardScaler(), BayesianRidge()).fit(X, self._target(y))
        return self

    def predict(self, genomes: np.ndarray) -> np.ndarray:
        if self.model is None:
            raise RuntimeError("Surrogate.predict before fit")
        return self._inverse(self.model.predict(encode_features(self.space, genomes)))

    def coefficients(self) -> dict[str, float]:
        """Regression coefficients in feature units (undoing the standardisation); ``"intercept"`` included."""
        if self.model is None:
            raise RuntimeError("Surrogate.coefficients before fit")
        scaler, ridge = self.model[0], self.model[-1]
        scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
        coef = ridge.coef_ / scale
        out = dict(zip(feature_names(self.space), coef.tolist(), strict=True))
        out["intercept"] = float(ridge.intercept_ - np.sum(coef * scaler.mean_))
        return out

    def cross_validate(
        self, genomes: np.ndarray, y: np.ndarray, folds: int = 5, seed: int = 0
    ) -> dict[str, float]:
        """k-fold (k ≤ n) cross-validated R² and MAE of out-of-fold predictions; NaN R² below 3 pairs.

        Scored in metric units (predictions mapped back from logit space when ``bounded``)."""
        from sklearn.base import clone
        from sklearn.metrics import mean_absolute_error, r2_score
        from sklearn.model_selection import KFold, cross_val_predict

        X = encode_features(self.space, genomes)
        y = np.asarray(y, dtype=float)
        k = min(folds, len(y))
        if k < 3:
            return {"cv_r2": float("nan"), "cv_mae": float("nan"), "cv_folds": float(k)}
        if self.model is None:
            self.fit(genomes, y)
        cv = KFold(k, shuffle=True, random_state=seed)
        pred = self._inverse(cross_val_predict(clone(self.model), X, self._target(y), cv=cv))
        return {
            "cv_r2": float(r2_score(y, pred)),
            "cv_mae": float(mean_absolute_error(y, pred)),
            "cv_folds": float(k),
        }
