"""Seeding the random number generators, for repeatable runs."""
from __future__ import annotations

import random


def set_seed(seed: int = 0) -> None:
    """Seed Python's ``random``, numpy and torch (CPU and every CUDA device).

    Not covered: Python's string hashing (the order of a ``set`` of strings). It is seeded by the environment
    variable ``PYTHONHASHSEED`` when the interpreter starts, so setting it from running code changes nothing;
    code that must not depend on it uses a fixed hash instead (e.g. ``embeddings.stable_hash`` for word2vec).
    """
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
