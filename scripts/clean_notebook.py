"""Make an executed notebook fit to commit: drop widget state, strip machine paths, record the profile.

Usage: python scripts/clean_notebook.py chapters/NN_name.ipynb [...]
"""
import json
import os
import re
import sys

PATH_RE = re.compile(r"(/work/|/tmp/|/root/|/home/[\w.-]+/|/Users/[\w.-]+/|[A-Z]:\\\\Users\\\\)[^\s'\"]*")


def clean(path: str) -> None:
    nb = json.load(open(path))
    nb["metadata"].pop("widgets", None)
    nb["metadata"]["course"] = {"executed_profile": os.environ.get("COURSE_PROFILE", "cpu")}
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        cell["metadata"].pop("execution", None)
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


def _sub(text):
    if isinstance(text, list):
        return [PATH_RE.sub("<path>", t) for t in text]
    return PATH_RE.sub("<path>", text)


if __name__ == "__main__":
    for p in sys.argv[1:]:
        clean(p)
