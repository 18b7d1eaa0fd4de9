"""Run profiles: how big every experiment in the course is.

A profile fixes data subset sizes, default checkpoints per role, epochs, max_length and batch sizes.
Chosen by the ``COURSE_PROFILE`` environment variable (``smoke``, ``cpu``, ``gpu``), else detected:
CUDA available -> ``gpu``, otherwise ``cpu``.

- ``smoke``: CI. Tiny subsets, one short epoch: checks that every cell runs, not what a model can reach.
- ``cpu``: a laptop CPU: small real encoder, real data, real numbers. Each chapter's measured time is in the
  README's timings table (``scripts/timings_table.py``; ``tests/test_timings.py`` checks the bound stated in
  the description below against it).
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
# The cpu profile's promise: each chapter runs in at most this many minutes on 2 cores (tests/test_timings.py checks
# the recorded runs; scripts/build_guide.py runs a chapter live in class when it meets it).
CPU_CHAPTER_MAX_MIN = 15


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

    def chapter(self, number: str) -> dict[str, Any]:
        """The sizes of chapter ``number`` (``"02"`` ... ``"06"``) in this profile: a fresh dict (see ``CHAPTER_SIZES``)."""
        number = f"{int(number):02d}" if str(number).isdigit() else str(number)
        if number not in CHAPTER_SIZES:
            raise ValueError(f"chapter {number!r} has no sizes of its own; chapters with sizes: {sorted(CHAPTER_SIZES)}")
        return dict(CHAPTER_SIZES[number][self.name])

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
        description=(f"a laptop CPU: small real encoder, real data; each chapter measured <= {CPU_CHAPTER_MAX_MIN} "
                     "min on 2 cores (README timings table)"),
        max_train={"default": None, "imdb": 4000},
        max_eval={"default": None, "imdb": 5000},
        epochs=3,
        max_length=64,
        long_max_length=256,
        batch_size=32,
        eval_batch_size=128,
        # chosen on SST-2 validation (the dev split) for fine_tune's defaults, 3 epochs on all 6,920 sentences,
        # mean pooling: 5e-5 gave 0.8773 and 1e-4 gave 0.8865 (2026-11-23, one run each; the test split unseen)
        learning_rate=1e-4,
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


# Sizes of each chapter's own experiments, per profile: the one place they are set (the notebooks read them with
# ``env.profile.chapter("04")``, and ``course_utils.estimates`` derives the gpu profile's estimated T4 time from them).
# ``None`` means "the whole split". The profile-wide sizes (epochs, max_length, batch size, ...) are above.
CHAPTER_SIZES: dict[str, dict[str, dict[str, Any]]] = {
    "02": {  # word2vec and small neural classifiers
        "smoke": dict(w2v_reviews=600, w2v_epochs=2, nn_epochs=1, nn_batch=16, hidden=32, bilstm_on_imdb=True),
        "cpu": dict(w2v_reviews=3000, w2v_epochs=5, nn_epochs=3, nn_batch=64, hidden=64, bilstm_on_imdb=False),
        "gpu": dict(w2v_reviews=25000, w2v_epochs=10, nn_epochs=8, nn_batch=64, hidden=128, bilstm_on_imdb=True),
    },
    "03": {  # pre-training a tiny BERT with MLM (blocks of 64 tokens)
        "smoke": dict(steps=20, batch=8),
        "cpu": dict(steps=400, batch=32),
        "gpu": dict(steps=4000, batch=64),
    },
    "04": {  # fine-tuning three ways, lr sweep, IMDB truncation and fine-tune
        "smoke": dict(n_train=64, epochs=1, batch_size=16, lr=1e-4, n_sweep=48, sweep_lrs=(2e-5, 5e-4), n_long=24,
                      long_head=32, imdb_train=48, imdb_held=16, imdb_epochs=1, imdb_lr=1e-4, bow_on_all_imdb=False,
                      trec_train=96, trec_epochs=1),
        "cpu": dict(n_train=1000, epochs=1, batch_size=16, lr=1e-4, n_sweep=200, sweep_lrs=(2e-5, 1e-4, 5e-4),
                    n_long=300, long_head=64, imdb_train=800, imdb_held=400, imdb_epochs=1, imdb_lr=1e-4,
                    bow_on_all_imdb=True, trec_train=2000, trec_epochs=2),
        "gpu": dict(n_train=None, epochs=3, batch_size=32, lr=2e-5, n_sweep=2000, sweep_lrs=(1e-5, 2e-5, 5e-5, 1e-4),
                    n_long=2000, long_head=128, imdb_train=None, imdb_held=2000, imdb_epochs=2, imdb_lr=2e-5,
                    bow_on_all_imdb=True, trec_train=None, trec_epochs=3),
    },
    "05": {  # heads on a frozen / fine-tuned encoder, long documents in chunks
        "smoke": dict(frozen_train=128, head_epochs=1, e2e_train=32, e2e_epochs=1, e2e_heads=("cls", "bilstm"),
                      e2e_seeds=1, imdb_train=24, imdb_test=24, max_chunks=3, doc_epochs=2, lstm_size=32),
        "cpu": dict(frozen_train=1500, head_epochs=3, e2e_train=800, e2e_epochs=2,
                    e2e_heads=("cls", "mean", "max", "bilstm", "bilstm_attn", "cnn"), e2e_seeds=3,
                    imdb_train=800, imdb_test=600, max_chunks=4, doc_epochs=15, lstm_size=64),
        "gpu": dict(frozen_train=None, head_epochs=4, e2e_train=None, e2e_epochs=3,
                    e2e_heads=("cls", "mean", "max", "bilstm", "bilstm_attn", "cnn"), e2e_seeds=3,
                    imdb_train=5000, imdb_test=3000, max_chunks=8, doc_epochs=15, lstm_size=128),
    },
    "06": {  # BERT variants: fine-tuning rows / epochs, and which families are fine-tuned from the hub
        "smoke": dict(ft_train_rows=64, ft_eval_rows=100, ft_epochs=1, family_runs=()),
        "cpu": dict(ft_train_rows=600, ft_eval_rows=None, ft_epochs=2, family_runs=("tinybert", "electra-small")),
        "gpu": dict(ft_train_rows=None, ft_eval_rows=None, ft_epochs=3, family_runs="all"),
    },
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
    if name is not None and not isinstance(name, str):
        raise TypeError(f"profile must be a profile name ({sorted(PROFILES)}) or None, got {type(name).__name__}")
    name = name or profile_name()
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; choose one of {sorted(PROFILES)}")
    return PROFILES[name]
