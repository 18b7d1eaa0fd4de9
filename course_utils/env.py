"""The first code cell of every chapter: ``env = setup("01")``.

Seeds python/numpy/torch (``seeding.set_seed``), picks the device, and prints the profile, the device, library
versions and where data and models come from, so a screenshot of this cell answers most "it doesn't work for me"
questions.
"""
from __future__ import annotations

import os
import platform
import sys
import warnings
from dataclasses import dataclass

from . import links as _links
from .profiles import Profile, get_profile
from .seeding import set_seed

# Repository and ref come from pyproject.toml ([project.urls] Repository, [tool.course] ref) through
# course_utils/links.py, which scripts/sync_links.py keeps in step with every badge and first cell.
REPO_SLUG = _links.REPO_SLUG


# The libraries whose version changes what a chapter prints; compared with the tested versions by ``setup``.
DRIFT_PACKAGES = ("torch", "transformers", "datasets", "accelerate", "scikit-learn")


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def tested_versions() -> dict[str, str]:
    """{package: version} the committed notebook outputs were made with (``course_utils/tested_versions.txt``, a
    packaged copy of ``constraints/tested.txt``, so it is there also when the course is installed from git)."""
    from importlib import resources

    try:
        text = resources.files(__package__).joinpath("tested_versions.txt").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):  # pragma: no cover - an install without the data file
        repo_copy = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "constraints", "tested.txt")
        if not os.path.isfile(repo_copy):
            return {}
        with open(repo_copy, encoding="utf-8") as fh:
            text = fh.read()
    pins = {}
    for line in text.splitlines():
        name, sep, version = line.split("#", 1)[0].strip().partition("==")
        if sep and name and version:
            pins[_canonical(name)] = version.strip()
    return pins


def version_drift(packages=DRIFT_PACKAGES, installed: dict[str, str] | None = None,
                  colab: bool | None = None) -> list[str]:
    """One line per package in ``packages`` whose installed version differs from the tested one (empty: all match).

    Local build labels are ignored (torch 2.13.0+cpu == 2.13.0). torch is reported as information: Colab and GPU
    machines keep their own torch build, which is fine. ``installed`` ({name: version}) and ``colab`` are for tests.
    """
    from importlib import metadata

    tested = tested_versions()
    colab = in_colab() if colab is None else colab
    lines = []
    for name in packages:
        want = tested.get(_canonical(name))
        if want is None:
            continue
        if installed is not None:
            have = installed.get(name)
        else:
            try:
                have = metadata.version(name)
            except metadata.PackageNotFoundError:
                have = None
        if have is None or have.split("+")[0] == want.split("+")[0]:
            continue
        if name == "torch":
            where = "Colab's own build" if colab else "your build"
            lines.append(f"info: torch {have} ({where}); the course was tested with {want}: fine, numbers may "
                         f"differ in the last digits")
        else:
            hint = "" if colab else " (bash scripts/setup.sh installs the tested versions)"
            lines.append(f"note: {name} {have} is installed, the course was tested with {want}: outputs may differ "
                         f"a little from the committed ones{hint}")
    return lines


def in_colab() -> bool:
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def colab_url(notebook_path: str) -> str:
    """The "Open in Colab" URL of a notebook in this repository (``chapters/01_....ipynb``), at the course's ref."""
    return _links.colab_url(notebook_path)


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
        for line in version_drift():
            print(f"  {line}")
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
    from .runtime import start_gpu_run_timer

    start_gpu_run_timer(env)  # on a GPU: the chapter's measured run time goes to the results store
    return env
