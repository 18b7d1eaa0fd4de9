"""Print each chapter's run times from what was measured, never typed by hand.

    python scripts/timings_table.py

- cpu profile: the wall time of the committed execution, recorded in each notebook's metadata by
  scripts/execute_notebooks.sh (course.run_seconds, with the machine's CPU count and the date);
- gpu profile on a T4: the estimate of scripts/estimate_gpu_times.py (results/gpu_estimates.json), labelled so.
The README's timings table is this script's output; tests/test_timings.py checks that they agree.
"""
from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rows() -> list[dict]:
    est = json.loads((ROOT / "results" / "gpu_estimates.json").read_text())["chapters"]
    out = []
    for path in sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")):
        meta = json.loads(path.read_text())["metadata"].get("course", {})
        out.append({"chapter": path.name[:2], "notebook": path.name, "profile": meta.get("executed_profile"),
                    "seconds": meta.get("run_seconds"), "cpus": meta.get("run_cpus"), "date": meta.get("run_date"),
                    "gpu_estimate_min": est.get(path.name[:2], {}).get("minutes")})
    return out


def table() -> str:
    lines = ["| chapter | `cpu` profile, measured | machine | `gpu` profile on a T4 |", "|---|---:|---|---:|"]
    for r in rows():
        cpu = f"{r['seconds'] / 60:.1f} min" if r["seconds"] else "not recorded"
        machine = f"{r['cpus']} CPUs, {r['date']}" if r["seconds"] else "-"
        gpu = f"~{r['gpu_estimate_min']:.0f} min (estimated)" if r["gpu_estimate_min"] else "no transformer training; not estimated"
        lines.append(f"| [{r['chapter']}](chapters/{r['notebook']}) | {cpu} | {machine} | {gpu} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())


# --- chapter headers ------------------------------------------------------------------------------------------
import re  # noqa: E402

CPU_RE = re.compile(r"[\d.]+ min in the `cpu` profile, measured on \d+ CPUs \([\d-]+\)")


def minutes(seconds: int) -> str:
    m = seconds / 60
    return f"{m:.1f}" if m < 10 else f"{m:.0f}"


def cpu_phrase(row: dict) -> str:
    return f"{minutes(row['seconds'])} min in the `cpu` profile, measured on {row['cpus']} CPUs ({row['date']})"


def sync_headers() -> list[str]:
    """Rewrite the measured-time phrase in every chapter's title cell from its metadata; returns changed files."""
    changed = []
    for row in rows():
        if not row["seconds"]:
            continue
        path = ROOT / "chapters" / row["notebook"]
        nb = json.loads(path.read_text())
        title = "".join(nb["cells"][0]["source"])
        new = CPU_RE.sub(cpu_phrase(row), title)
        if new != title:
            nb["cells"][0]["source"] = new.splitlines(keepends=True)
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
            changed.append(row["notebook"])
    return changed


if __name__ == "__main__" and "--headers" in __import__("sys").argv:
    print("updated:", sync_headers())
