"""course_utils: helpers for the course "Text classification from bag-of-words to BERT".

One module per job: ``profiles`` (run sizes), ``data`` (datasets), ``models`` (checkpoints),
``env`` (the setup cell), ``results`` (the results store), ``evaluation`` (metrics), ``plots``,
``exercises`` + ``checks`` (auto-checked exercises).
"""
from . import checks, evaluation, exercises, plots, results  # noqa: F401  (cu.plots.confusion_matrix_plot, ...)
from course_data import card  # noqa: F401  (cu.card("sst2"): the dataset card, as markdown)

from .data import (
    DatasetUnavailableError,
    DatasetVerificationError,
    as_dataset,
    load_course_dataset,
    stratified_subsample,
)
from .env import CourseEnv, get_device, set_seed, setup
from .evaluation import classification_metrics, mean_std, timer
from .models import (
    Checkpoint,
    ModelUnavailableError,
    count_parameters,
    load_classifier,
    load_encoder,
    load_tokenizer,
    resolve_checkpoint,
)
from .profiles import PROFILES, Profile, get_profile
from .results import leaderboard, load_results, record_result
from .training import FineTuneResult, fine_tune

__version__ = "0.1.0"

__all__ = [
    "PROFILES", "Checkpoint", "card", "FineTuneResult", "fine_tune", "CourseEnv", "DatasetUnavailableError", "DatasetVerificationError",
    "ModelUnavailableError", "Profile", "as_dataset", "classification_metrics", "count_parameters",
    "get_device", "get_profile", "leaderboard", "load_classifier", "load_course_dataset", "load_encoder",
    "load_results", "load_tokenizer", "mean_std", "record_result", "resolve_checkpoint", "set_seed",
    "setup", "stratified_subsample", "timer",
]
