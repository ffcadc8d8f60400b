"""Stage 2-3 of mode ``learned``: the candidates of both searches ordered by a linear model of their
evidence (features.py): search scores and ranks, country and year agreement, words in the heading,
title and notes. The model is a pairwise logistic regression trained on gold questions by
``assistant.learning`` (scikit-learn) and stored as plain numbers in a JSON file, so answering a
question needs no scikit-learn: a dot product per candidate.

The bundled model (``ranker.json`` beside this file) was trained on the project's gold questions and
the development set; its file records on what, and its out-of-sample figures. The setting
``retrieval.ranker`` points to another one (``assistant eval --train-ranker FILE`` writes one).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import UserError
from assistant.retrieval.features import NAMES

BUNDLED = Path(__file__).with_name("ranker.json")


@dataclass(frozen=True)
class LinearRanker:
    """score = ((x - mean) / scale) . coef + intercept, over the features ``names``."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    about: dict[str, Any] = field(default_factory=dict)  # what it was trained on, and how it scored

    def score(self, X: np.ndarray) -> np.ndarray:
        return ((X - self.mean) / self.scale) @ self.coef + self.intercept

    def probability(self, X: np.ndarray) -> np.ndarray:
        """The logistic regression's probability of the positive class, row by row."""
        return 1 / (1 + np.exp(-self.score(X)))

    def as_dict(self) -> dict[str, Any]:
        return {"names": list(self.names), "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "coef": self.coef.tolist(), "intercept": self.intercept, "about": self.about}

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_dict(), indent=1) + "\n", encoding="utf-8")


def from_dict(data: dict[str, Any], where: str, expected: tuple[str, ...] = NAMES) -> LinearRanker:
    try:
        names = tuple(data["names"])
        model = LinearRanker(names=names, mean=np.asarray(data["mean"], dtype="float64"),
                             scale=np.asarray(data["scale"], dtype="float64"),
                             coef=np.asarray(data["coef"], dtype="float64"), intercept=float(data["intercept"]),
                             about=dict(data.get("about") or {}))
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError(f"{where}: not a ranker model ({exc}); train one with `assistant eval --train-ranker FILE` "
                        "or unset retrieval.ranker to use the bundled one") from exc
    if names != expected or not (len(model.mean) == len(model.scale) == len(model.coef) == len(expected)):
        raise UserError(f"{where}: the model's features ({', '.join(names)}) are not this version's "
                        f"({', '.join(expected)}); train it again with `assistant eval --train-ranker FILE`")
    return model


@lru_cache(maxsize=8)
def load(path: Path | None = None, expected: tuple[str, ...] = NAMES, bundled: Path = BUNDLED) -> LinearRanker:
    """The model in ``path`` (the bundled one when None); a clear UserError when it cannot be used."""
    path = path or bundled
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise UserError(f"model {path} cannot be read: {exc}") from exc
    return from_dict(data, str(path), expected)
