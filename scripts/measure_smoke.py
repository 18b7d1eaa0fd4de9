"""Measure how long each chapter takes in the ``smoke`` profile, and record it in results/smoke_times.json.

    HF_HUB_OFFLINE=1 COURSE_DATA_DIR=/path/to/data python scripts/measure_smoke.py          # every chapter
    HF_HUB_OFFLINE=1 COURSE_DATA_DIR=/path/to/data python scripts/measure_smoke.py 00 03    # some chapters

Each chapter is copied into a temporary folder and executed there top to bottom with nbclient, in a fresh kernel,
with ``COURSE_PROFILE=smoke`` and ``COURSE_RESULTS`` pointing at a temporary file: chapters/ and
results/results.csv are never written. The wall time of the execution is recorded per chapter as
``{"00": {"seconds": 41, "cpus": 2, "date": "2026-11-24"}, ...}`` (``cpus``: ``os.cpu_count()``, as the cpu-profile
metadata records it). Chapters not named on the command line keep their previous entry; a chapter that fails keeps
its previous entry too, and the exit code is 1. Run it on an otherwise idle machine: the numbers are wall time.
The instructor guide (scripts/build_guide.py) reads this file and says "not measured" for a chapter missing here.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "results" / "smoke_times.json"


def chapter_notebooks(wanted: list[str]) -> list[Path]:
    """The chapter notebooks named by ``wanted`` (``"04"``, ``"4"`` or a path), all of them when empty."""
    every = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
    if not wanted:
        return every
    by_number = {p.name[:2]: p for p in every}
    chosen = []
    for w in wanted:
        key = Path(w).name[:2] if not w.isdigit() else f"{int(w):02d}"
        if key not in by_number:
            raise SystemExit(f"unknown chapter {w!r}: choose from {', '.join(sorted(by_number))}")
        chosen.append(by_number[key])
    return chosen


def run_one(notebook: Path, timeout: int, kernel: str) -> float:
    """Execute a temporary copy of ``notebook`` in the smoke profile; return its wall time in seconds."""
    import nbformat
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory(prefix="smoke_") as tmp:
        work = Path(tmp) / "chapters"
        work.mkdir()
        copy = work / notebook.name
        shutil.copyfile(notebook, copy)
        os.environ["COURSE_RESULTS"] = str(Path(tmp) / "results.csv")
        nb = nbformat.read(copy, as_version=4)
        client = NotebookClient(nb, timeout=timeout, kernel_name=kernel,
                                resources={"metadata": {"path": str(work)}})
        start = time.perf_counter()
        client.execute()
        return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    doc = __doc__.split("\n\n")
    parser = argparse.ArgumentParser(description=doc[0], epilog="\n\n".join(doc[1:]),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("chapters", nargs="*", help="chapter numbers (00 .. 06) or notebook paths; default: all")
    parser.add_argument("--out", type=Path, default=OUT, help="the JSON file to update (default: results/smoke_times.json)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds one cell may take (default 1800)")
    parser.add_argument("--kernel", default="python3", help="Jupyter kernel name (default python3)")
    args = parser.parse_args(argv)

    notebooks = chapter_notebooks(args.chapters)
    os.environ["COURSE_PROFILE"] = "smoke"
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    if "COURSE_DATA_DIR" not in os.environ:
        print("note: COURSE_DATA_DIR is not set: datasets come from the Hugging Face cache or the hub")
    times = json.loads(args.out.read_text()) if args.out.exists() else {}
    failed = []
    for nb in notebooks:
        key = nb.name[:2]
        try:
            seconds = run_one(nb, args.timeout, args.kernel)
        except Exception as exc:  # CellExecutionError, a timeout, a dead kernel: one line, go on with the next
            first = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            print(f"[smoke] {nb.name}: FAILED ({type(exc).__name__}: {first[:200]}); previous entry kept")
            failed.append(nb.name)
            continue
        times[key] = {"seconds": int(round(seconds)), "cpus": os.cpu_count(),
                      "date": datetime.date.today().isoformat()}
        print(f"[smoke] {nb.name}: {seconds:.0f} s")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.out.with_suffix(".json.tmp")  # write after every chapter: a long run that stops keeps what it had
        tmp.write_text(json.dumps(dict(sorted(times.items())), indent=1) + "\n")
        tmp.replace(args.out)
    if failed:
        print(f"[smoke] {len(failed)} chapter(s) failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
