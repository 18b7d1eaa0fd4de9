"""The first code cell of every chapter: ``env = setup("01")``.

Seeds python/numpy/torch, picks the device, and prints the profile, the device, library versions and where data
and models come from, so a screenshot of this cell answers most "it doesn't work for me" questions.
"""
from __future__ import annotations

import os
import platform
import random
import sys
import warnings
from dataclasses import dataclass

from .profiles import Profile, get_profile

REPO_URL = "https://github.com/bow-to-bert/text-classification-course"
REPO_SLUG = "bow-to-bert/text-classification-course"
COURSE_VERSION = "v0.1.0"
# What the Colab setup cell installs: this package at a pinned tag (and, through its dependencies, only what
# Colab lacks: pip leaves Colab's own torch alone because it already satisfies `torch>=2.4`).
PIP_SPEC = f"bow-to-bert @ git+{REPO_URL}@{COURSE_VERSION}"


def in_colab() -> bool:
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def colab_url(notebook_path: str) -> str:
    """The "Open in Colab" URL of a notebook in this repository (``chapters/01_....ipynb``)."""
    return f"https://colab.research.google.com/github/{REPO_SLUG}/blob/main/{notebook_path}"


def set_seed(seed: int = 0) -> None:
    """Seed python, numpy and torch (CPU and CUDA) for repeatable runs."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)


def get_device():
    """``torch.device``: CUDA if available, else Apple MPS, else CPU."""
    import torch

    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


@dataclass
class CourseEnv:
    """What ``setup`` found. ``profile`` holds every size; ``device`` is a ``torch.device``."""

    chapter: str
    profile: Profile
    device: object
    seed: int
    colab: bool
    offline: bool

    @property
    def is_smoke(self) -> bool:
        return self.profile.name == "smoke"


def _quiet_libraries() -> None:
    """Silence messages that scare learners but mean nothing here (kept: real warnings about their code)."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    warnings.filterwarnings("ignore", message=".*IProgress not found.*")
    warnings.filterwarnings("ignore", category=FutureWarning, module="transformers")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()  # "Loading weights" bars on every from_pretrained
    except ImportError:  # pragma: no cover
        pass


def setup(chapter: str, seed: int = 0, verbose: bool = True) -> CourseEnv:
    """Seed everything, choose the device, print the environment. Call once at the top of a chapter."""
    import torch

    _quiet_libraries()
    from .models import PACKAGED_NAME, hub_reachable, packaged_encoder_path, resolve_checkpoint

    set_seed(seed)
    profile = get_profile()
    device = get_device()
    online = hub_reachable()
    env = CourseEnv(chapter, profile, device, seed, in_colab(), not online)
    if verbose:
        import datasets
        import sklearn
        import transformers

        from course_data import mirror_dir

        where = "Colab" if env.colab else ("CI" if os.environ.get("CI") else "local")
        print(f"Chapter {chapter} | {where} | Python {platform.python_version()} | seed {seed}")
        print(
            f"torch {torch.__version__} | transformers {transformers.__version__} | datasets {datasets.__version__}"
            f" | scikit-learn {sklearn.__version__}"
        )
        dev = str(device)
        if device.type == "cuda":
            dev += f" ({torch.cuda.get_device_name(0)})"
        else:
            dev += f" ({torch.get_num_threads()} threads)"
        print(f"device: {dev}")
        print(profile.summary())
        data_src = "offline mirror ($COURSE_DATA_DIR)" if mirror_dir() else ("hub / local cache" if online else "local cache only (offline)")
        print(f"data from: {data_src}")
        enc = resolve_checkpoint("encoder", profile, verbose=False)
        model_src = {
            "hub": "Hugging Face hub",
            "cache": "local Hugging Face cache (offline)",
            "packaged": f"{PACKAGED_NAME} (offline)",
            "local": "a local folder",
        }[enc.source]
        print(f"models from: {model_src}" + ("" if packaged_encoder_path() or online else " - no offline encoder installed"))
        if enc.note:
            print(f"  notice: {enc.note}")
    return env
