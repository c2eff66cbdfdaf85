"""AVATAR's effectiveness indicator: scikit-learn `BayesianRidge` from an encoded configuration to a metric.

Features (`encode_features`): numeric genes by their value (log10 for genes spanning more than a decade, such
as learning rate or vocabulary size, as a linear model otherwise sees 1e-3 and 5e-5 as equal), categorical genes
(tokenizer, activation, position type) one-hot. Features are standardised before the regression. The model
is reported by k-fold cross-validated R² and MAE (`Surrogate.cross_validate`), as the issue asks, and its
coefficients can be read back in feature units (`Surrogate.coefficients`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kd.search.space import SearchSpace


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
    model: Any = field(default=None, repr=False)

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
        self.model = make_pipeline(StandardScaler(), BayesianRidge()).fit(X, y)
        return self

    def predict(self, genomes: np.ndarray) -> np.ndarray:
        if self.model is None:
            raise RuntimeError("Surrogate.predict before fit")
        return np.asarray(self.model.predict(encode_features(self.space, genomes)), dtype=float)

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
        """k-fold (k ≤ n) cross-validated R² and MAE of out-of-fold predictions; NaN R² below 3 pairs."""
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
        pred = cross_val_predict(clone(self.model), X, y, cv=KFold(k, shuffle=True, random_state=seed))
        return {
            "cv_r2": float(r2_score(y, pred)),
            "cv_mae": float(mean_absolute_error(y, pred)),
            "cv_folds": float(k),
        }
