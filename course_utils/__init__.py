"""course_utils: helpers for the course "Text classification from bag-of-words to BERT".

One module per job: ``profiles`` (run sizes), ``datasets_io`` (the course datasets at the profile's size, a
learner's own table checked), ``models`` (checkpoints), ``env`` (the setup cell), ``seeding``, ``results`` (the
store of measured results, ``results/``), ``evaluation`` (metrics), ``plots``, ``exercises`` + ``checks``
(auto-checked exercises); ``arguments`` (one clear error for a bad argument), ``truncation``, ``batching`` and
``optim`` serve the training helpers ``training`` (``fine_tune``) and ``features`` (heads on cached states).
Chapter helpers: ``bow``, ``error_analysis``, ``embeddings``, ``bert_scratch``, ``attention_viz``, ``heads``,
``long_docs``, ``variants`` (the BERT family), ``costs`` (what a model costs).
The dataset registry, cards and download code are the separate package ``course_data`` (folder ``data/``).
"""
from . import checks, evaluation, exercises, plots, results  # noqa: F401  (cu.plots.confusion_matrix_plot, ...)
from course_data import card  # noqa: F401  (cu.card("sst2"): the dataset card, as markdown)

from .datasets_io import (
    DatasetUnavailableError,
    DatasetVerificationError,
    as_dataset,
    load_course_dataset,
    stratified_subsample,
)
from .env import CourseEnv, get_device, setup
from .evaluation import binomial_se, classification_metrics, mean_std, noise_verdict, timer, verdicts_vs_best
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
from .results import leaderboard, load_results, record_metrics, record_result
from .seeding import set_seed
from .training import FineTuneResult, fine_tune

__version__ = "0.1.0"

__all__ = [
    "PROFILES", "Checkpoint", "card", "FineTuneResult", "fine_tune", "CourseEnv", "DatasetUnavailableError", "DatasetVerificationError",
    "ModelUnavailableError", "Profile", "as_dataset", "classification_metrics", "count_parameters",
    "get_device", "get_profile", "leaderboard", "load_classifier", "load_course_dataset", "load_encoder",
    "load_results", "load_tokenizer", "mean_std", "noise_verdict", "verdicts_vs_best", "binomial_se", "record_metrics", "record_result", "resolve_checkpoint", "set_seed",
    "setup", "stratified_subsample", "timer",
]
