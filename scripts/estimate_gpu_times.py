"""Estimate each chapter's run time in the gpu profile on a Colab T4, from FLOPs (see course_utils/estimates.py).

    python scripts/estimate_gpu_times.py            # measure token counts on the real data, write the estimates
    python scripts/estimate_gpu_times.py --print    # only print the table from results/gpu_estimates.json

It measures the mean WordPiece tokens per text of SST-2 and IMDB (after the gpu profile's truncation) with the
course tokenizer, applies the chapters' gpu-profile sizes (course_utils/profiles.py: CHAPTER_SIZES) and writes
results/gpu_estimates.json. Chapter headers quote these numbers, labelled "estimated"; tests/test_estimates.py checks
that they agree and that every chapter stays within the 20-minute class slot.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_utils import estimates as E  # noqa: E402

OUT = ROOT / "results" / "gpu_estimates.json"
CHAPTERS = ["00", "01", "02", "03", "04", "05", "06"]
LIMIT_MINUTES = 20


def measure_stats() -> dict:
    import numpy as np

    import course_utils as cu

    gpu = cu.get_profile("gpu")
    tok = cu.load_tokenizer("bert_tokenizer", profile="gpu")  # bert-base-uncased's vocabulary (offline: the same one)
    sst2 = cu.load_course_dataset("sst2", profile="gpu", subsample=False, verbose=False)
    imdb = cu.load_course_dataset("imdb", profile="gpu", subsample=False, verbose=False)
    trec = cu.load_course_dataset("trec", profile="gpu", subsample=False, verbose=False)

    def lengths(texts):
        return np.array([len(x) + 2 for x in tok(list(texts), add_special_tokens=False)["input_ids"]])

    s_len, i_len = lengths(sst2["train"]["text"]), lengths(imdb["train"]["text"])
    L, chunk = gpu.long_max_length, gpu.long_max_length // 2
    overlap, max_chunks = gpu.long_max_length // 8, gpu.chapter("05")["max_chunks"]
    step = chunk - 2 - overlap
    windows = np.where(i_len - 2 <= chunk - 2, 1, 1 + np.ceil((i_len - 2 - (chunk - 2)) / step))
    return {
        "sst2_train": len(sst2["train"]), "sst2_val": len(sst2["validation"]),
        "sst2_tokens": float(np.minimum(s_len, gpu.max_length).mean()), "sst2_test": len(sst2["test"]),
        "trec_train": int(len(trec["train"]) * 0.9), "trec_test": len(trec["test"]),
        "trec_tokens": float(np.minimum(lengths(trec["train"]["text"]), gpu.max_length).mean()),
        "imdb_train": len(imdb["train"]), "imdb_test": len(imdb["test"]),
        "imdb_tokens": float(np.minimum(i_len, L).mean()),
        "imdb_chunk_tokens": float((np.minimum(windows, max_chunks) * chunk).mean()),
        "tokenizer": "bert-base-uncased WordPiece vocabulary",
    }


def variant_params() -> dict[str, int]:
    """Non-embedding parameters of the families chapter 06 fine-tunes in the gpu profile (real configs)."""
    from course_utils import variants as V
    from course_utils.profiles import get_profile

    runs = get_profile("gpu").chapter("06")["family_runs"]
    keys = [k for k in V.VARIANTS if k != "minilm-l6"] if runs == "all" else list(runs)
    out = {}
    for key in keys:
        cfg = V.build_config(key, "real")
        layers = getattr(cfg, "num_hidden_layers", None) or getattr(cfg, "n_layers")
        hidden = getattr(cfg, "hidden_size", None) or getattr(cfg, "dim")
        inter = getattr(cfg, "intermediate_size", None) or getattr(cfg, "hidden_dim")
        out[key] = E.non_embedding_params(int(layers), int(hidden), int(inter))
    return out


def estimates(stats: dict, params: dict[str, int]) -> dict[str, dict]:
    out = {}
    for ch in CHAPTERS:
        jobs = E.chapter_jobs(ch, stats, params)
        out[ch] = {"minutes": round(E.estimate_minutes(jobs), 1) if jobs else None,
                   "jobs": [{"what": j.what, "minutes": round(j.seconds / 60, 2)} for j in jobs]}
    return out


def table(data: dict) -> str:
    lines = ["| chapter | estimated T4 minutes (gpu profile) | largest part |", "|---|---:|---|"]
    for ch, row in data["chapters"].items():
        if row["minutes"] is None:
            lines.append(f"| {ch} | - | no transformer training |")
            continue
        top = max(row["jobs"], key=lambda j: j["minutes"])
        lines.append(f"| {ch} | {row['minutes']:.0f} | {top['what']} ({top['minutes']:.1f} min) |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--print", action="store_true", help="print the committed estimates, measure nothing")
    args = ap.parse_args(argv)
    if args.print:
        data = json.loads(OUT.read_text())
    else:
        stats, params = measure_stats(), variant_params()
        data = {
            "assumptions": {"t4_peak_flops": E.T4_PEAK_FLOPS, "t4_utilisation": E.T4_UTILISATION,
                            "step_overhead_s": E.STEP_OVERHEAD_S, "infer_overhead_s": E.INFER_OVERHEAD_S,
                            "source": "course_utils/estimates.py"},
            "stats": stats, "variant_params": params, "chapters": estimates(stats, params),
        }
        OUT.write_text(json.dumps(data, indent=1) + "\n")
    print(table(data))
    over = [ch for ch, r in data["chapters"].items() if r["minutes"] and r["minutes"] > LIMIT_MINUTES]
    if over:
        print(f"over the {LIMIT_MINUTES}-minute slot: {over}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
