"""Make an executed notebook fit to commit: drop widget state and progress-bar widgets (their text fallback is a
stale "0%" snapshot), strip machine paths, clear the outputs of solution cells (tag "solution": they ran, and their
checks passed, but the answers they print are not committed), record the profile (and, from scripts/execute_notebooks.sh, the run time:
metadata course.run_seconds / run_cpus / run_date).

Usage: python scripts/clean_notebook.py chapters/NN_name.ipynb [...]
"""
import datetime
import json
import os
import re
import sys

BAR_RE = re.compile(r"^[^\n]*\d+%\|")  # a tqdm bar's text snapshot
PATH_RE = re.compile(r"(/work/|/tmp/|/root/|/home/[\w.-]+/|/Users/[\w.-]+/|[A-Z]:\\\\Users\\\\)[^\s'\"]*")


def clean(path: str) -> None:
    nb = json.load(open(path))
    nb["metadata"].pop("widgets", None)
    previous = nb["metadata"].get("course", {})
    course = {"executed_profile": os.environ.get("COURSE_PROFILE") or previous.get("executed_profile", "cpu")}
    seconds = os.environ.get("COURSE_RUN_SECONDS")  # set by scripts/execute_notebooks.sh: this execution's wall time
    if seconds:
        course.update(run_seconds=int(float(seconds)), run_cpus=os.cpu_count(),
                      run_date=datetime.date.today().isoformat())
    else:  # only cleaning: keep what the last execution recorded
        course.update({k: v for k, v in previous.items() if k.startswith("run_")})
    nb["metadata"]["course"] = course
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        cell["metadata"].pop("execution", None)
        if "solution" in cell["metadata"].get("tags", []):  # it ran (its check passed), but its answers stay unseen
            cell["outputs"], cell["execution_count"] = [], None
            continue
        cell["outputs"] = [o for o in cell.get("outputs", []) if not _is_progress_widget(o)]
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "application/vnd.jupyter.widget-view+json" in data:
                data.pop("application/vnd.jupyter.widget-view+json")
            for key in ("text",):
                if key in out:
                    out[key] = _sub(out[key])
            if "text/plain" in data:
                data["text/plain"] = _sub(data["text/plain"])
            if out.get("output_type") == "error":
                out["traceback"] = [_sub(t) for t in out.get("traceback", [])]
    json.dump(nb, open(path, "w"), indent=1, ensure_ascii=False)
    open(path, "a").write("\n")


def _is_progress_widget(out) -> bool:
    """A display_data output of a tqdm.auto bar: a widget view, or (already cleaned) only its text snapshot."""
    if out.get("output_type") != "display_data":
        return False
    data = out.get("data", {})
    keys = set(data) - {"application/vnd.jupyter.widget-view+json"}
    text = "".join(data.get("text/plain", ""))
    return keys <= {"text/plain"} and ("application/vnd.jupyter.widget-view+json" in data and "HBox" in text or bool(BAR_RE.match(text)))


def _sub(text):
    if isinstance(text, list):
        return [PATH_RE.sub("<path>", t) for t in text]
    return PATH_RE.sub("<path>", text)


if __name__ == "__main__":
    for p in sys.argv[1:]:
        clean(p)
