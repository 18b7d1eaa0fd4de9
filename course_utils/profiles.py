"""Run profiles: how big every experiment in the course is.

A profile fixes data subset sizes, default checkpoints per role, epochs, max_length and batch sizes.
Chosen by the ``COURSE_PROFILE`` environment variable (``smoke``, ``cpu``, ``gpu``), else detected:
CUDA available -> ``gpu``, otherwise ``cpu``.

- ``smoke``: CI. Tiny subsets, one short epoch: checks that every cell runs, not what a model can reach.
- ``cpu``: a laptop. Each notebook in about 15 minutes or less; small real encoder; real numbers.
- ``gpu``: Colab T4 or better. Full datasets and bert-base-size checkpoints.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

PROFILE_ENV = "COURSE_PROFILE"

# Hub ids per role. The offline substitute for the encoder roles is the packaged all-MiniLM-L6-v2.
SMALL_ENCODER = "sentence-transformers/all-MiniLM-L6-v2"
BASE_ENCODER = "google-bert/bert-base-uncased"


@dataclass(frozen=True)
class Profile:
    """Sizes and defaults of one run profile. ``None`` for a size means the full split."""

    name: str
    description: str
    max_train: dict[str, int | None]  # rows of the train split per dataset ("default" for the rest)
    max_eval: dict[str, int | None]  # rows of the evaluation split per dataset
    epochs: int
    max_length: int  # tokens for sentence-level data (SST-2, TREC)
    long_max_length: int  # tokens for long documents (IMDB)
    batch_size: int
    eval_batch_size: int
    learning_rate: float
    n_seeds: int
    checkpoints: dict[str, str] = field(default_factory=dict)

    def train_size(self, dataset: str) -> int | None:
        return self.max_train.get(dataset, self.max_train.get("default"))

    def eval_size(self, dataset: str) -> int | None:
        return self.max_eval.get(dataset, self.max_eval.get("default"))

    def checkpoint(self, role: str) -> str:
        if role not in self.checkpoints:
            raise ValueError(f"unknown model role {role!r}: profile {self.name!r} defines {sorted(self.checkpoints)}")
        return self.checkpoints[role]

    def summary(self) -> str:
        def size(d: dict[str, int | None]) -> str:
            return ", ".join(f"{k} {'full' if v is None else f'{v:,}'}" for k, v in d.items())

        return (
            f"profile {self.name!r}: {self.description}\n"
            f"  train rows: {size(self.max_train)} | eval rows: {size(self.max_eval)}\n"
            f"  epochs {self.epochs}, max_length {self.max_length} (long docs {self.long_max_length}), "
            f"batch {self.batch_size}, lr {self.learning_rate:g}, seeds {self.n_seeds}\n"
            f"  encoder: {self.checkpoints['encoder']}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        name="smoke",
        description="CI check that every cell runs (tiny subsets; numbers are NOT meaningful)",
        max_train={"default": 256},
        max_eval={"default": 200},
        epochs=1,
        max_length=64,
        long_max_length=128,
        batch_size=16,
        eval_batch_size=64,
        learning_rate=5e-5,
        n_seeds=2,
        checkpoints={"encoder": SMALL_ENCODER, "bert_tokenizer": BASE_ENCODER},
    ),
    "cpu": Profile(
        name="cpu",
        description="a laptop CPU: small real encoder, real data, each notebook <= ~15 min",
        max_train={"default": None, "imdb": 4000},
        max_eval={"default": None, "imdb": 5000},
        epochs=3,
        max_length=64,
        long_max_length=256,
        batch_size=32,
        eval_batch_size=128,
        learning_rate=5e-5,
        n_seeds=3,
        checkpoints={"encoder": SMALL_ENCODER, "bert_tokenizer": BASE_ENCODER},
    ),
    "gpu": Profile(
        name="gpu",
        description="a GPU (Colab T4 or better): full datasets, bert-base-size checkpoints",
        max_train={"default": None},
        max_eval={"default": None},
        epochs=3,
        max_length=128,
        long_max_length=512,
        batch_size=32,
        eval_batch_size=128,
        learning_rate=2e-5,
        n_seeds=3,
        checkpoints={"encoder": BASE_ENCODER, "bert_tokenizer": BASE_ENCODER},
    ),
}


def profile_name() -> str:
    """The active profile's name: ``$COURSE_PROFILE`` if set, else ``gpu`` with CUDA, else ``cpu``."""
    name = os.environ.get(PROFILE_ENV, "").strip().lower()
    if name:
        if name not in PROFILES:
            raise ValueError(f"{PROFILE_ENV}={name!r} is not a profile; choose one of {sorted(PROFILES)}")
        return name
    try:
        import torch

        return "gpu" if torch.cuda.is_available() else "cpu"
    except ImportError:  # pragma: no cover - torch is a dependency
        return "cpu"


def get_profile(name: str | None = None) -> Profile:
    """The ``Profile`` named ``name``, or the active one (see ``profile_name``)."""
    name = name or profile_name()
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; choose one of {sorted(PROFILES)}")
    return PROFILES[name]
