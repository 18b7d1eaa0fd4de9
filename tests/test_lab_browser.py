"""Real-browser test of the main command: JupyterLab started by scripts/course.sh, a chapter run from the menus.

scripts/course.sh starts JupyterLab (setup skipped, COURSE_NOTEBOOK_DIR = a temporary folder holding a copy of
chapter 00 with its outputs cleared; a free port on 127.0.0.1, a random token, Jupyter's config/data/runtime folders
temporary so no user setting is read or written). Headless Chromium (Playwright) opens the notebook, clicks
Run → Run All Cells, waits for the kernel, clicks File → Save Notebook, and the saved file is read from disk: every
code cell must have run (an execution count), none may hold an error output. A second notebook with one planted
failing cell shows that this check catches an error raised in the browser-run kernel.

The kernel is the one course.sh gives a learner: the venv's python3 kernelspec, with the test's environment
(COURSE_DATA_DIR, HF_HUB_OFFLINE; COURSE_PROFILE=smoke unless set, COURSE_RESULTS in a temporary folder,
MPLBACKEND=Agg). Skips, with the reason, where Chromium or Playwright is missing or Chromium cannot start.
On a failure a screenshot is written to the git-ignored tests/.browser/.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "chapters" / "00_setup_and_tour.ipynb"
SHOTS = ROOT / "tests" / ".browser"
START_TIMEOUT = 120  # s: JupyterLab answering its REST API
OPEN_TIMEOUT = 120   # s: the notebook open and its kernel idle
RUN_TIMEOUT = 300    # s: Run All Cells finished (chapter 00 in smoke: ~25-45 s on a busy 2-CPU machine)
SAVE_TIMEOUT = 60    # s: File → Save Notebook written to disk
PLANTED = "planted by tests/test_lab_browser.py"





def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    def __init__(self, proc: subprocess.Popen, base: str, token: str, root: Path, log: Path):
        self.proc, self.base, self.token, self.root, self.log = proc, base, token, root, log

    def api(self, path: str, method: str = "GET"):
        req = urllib.request.Request(f"{self.base}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None

    def log_tail(self, n: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-n:]

    def stop_kernel_of(self, name: str) -> None:
        """Shut down the notebook's kernel (sessions share the server; a finished test frees its memory)."""
        try:
            for s in self.api("/api/sessions"):
                if s.get("path") == name:
                    self.api(f"/api/sessions/{s['id']}", method="DELETE")
        except OSError:
            pass


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory):
    """JupyterLab as `bash scripts/course.sh --port P --no-browser` starts it, serving a temporary folder."""
    tmp = tmp_path_factory.mktemp("lab")
    root = tmp / "notebooks"
    root.mkdir()
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    env.update(
        COURSE_SKIP_SETUP="1",  # the venv exists (the tests run in it); setup.sh is tested elsewhere
        COURSE_NOTEBOOK_DIR=str(root),
        COURSE_PROFILE=os.environ.get("COURSE_PROFILE", "smoke"),
        COURSE_RESULTS=str(tmp / "results.csv"),
        MPLBACKEND="Agg",
        JUPYTER_CONFIG_DIR=str(tmp / "jupyter-config"),
        JUPYTER_DATA_DIR=str(tmp / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(tmp / "jupyter-runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(tmp / "lab-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / "lab-workspaces"),
        IPYTHONDIR=str(tmp / "ipython"),
    )
    env.pop("COURSE_JUPYTER", None)  # course.sh's own default: the venv's jupyter
    log = tmp / "lab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["bash", str(ROOT / "scripts" / "course.sh"), "--port", str(port), "--no-browser",
             "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
            cwd=tmp, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = Lab(proc, f"http://127.0.0.1:{port}", token, root, log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"course.sh exited with {proc.returncode} before JupyterLab answered:\n{server.log_tail()}")
            try:
                server.api("/api/status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer on port {port} within {START_TIMEOUT} s:\n"
                                f"{server.log_tail()}")
                time.sleep(0.5)
        assert f"http://localhost:{port}/lab" in log.read_text(errors="replace"), "course.sh's URL message is missing"
        yield server
    finally:
        try:  # the server shuts its kernels down on SIGTERM; SIGKILL only if it hangs
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _cleared_copy(dest: Path, plant_error: bool = False) -> None:
    """Chapter 00 without its committed outputs (so every output checked was made in the browser run)."""
    nb = json.loads(CHAPTER.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    if plant_error:  # right after the setup cell
        nb["cells"].insert(2, {"cell_type": "code", "execution_count": None, "id": "planted-error", "metadata": {},
                               "outputs": [], "source": [f'raise RuntimeError("{PLANTED}")']})
    dest.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _menu(page, menu: str, item: str) -> None:
    """Click a menu of JupyterLab's menu bar, then its item labelled ``item``, as a learner does."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(rf"^{re.escape(menu)}$")).click()
    entry = page.locator(".lm-Menu .lm-Menu-item:not(.lm-mod-disabled)",
                         has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(rf"^{re.escape(item)}$"))).first
    entry.wait_for(state="visible", timeout=10_000)
    entry.click()


# The kernel connected and idle, as the status bar says ("Python 3 (ipykernel) | Idle"). The notebook toolbar's
# execution indicator is no proof: it reads "idle" before the kernel has connected (Run All then runs nothing).
_KERNEL_IDLE_JS = """() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]
  .some(e => /\\| Idle$/.test(e.textContent.trim()))"""

# Finished: the kernel idle, no cell waiting or running ([*]), at least one cell with an execution count.
_FINISHED_JS = """() => {
  const idle = [...document.querySelectorAll('.jp-StatusBar-TextItem')].some(e => /\\| Idle$/.test(e.textContent.trim()));
  const prompts = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')]
    .map(p => p.textContent.trim());
  return idle && prompts.length > 0 && !prompts.some(t => t.includes('*')) && prompts.some(t => /\\[\\d+\\]/.test(t));
}"""

# Started: some cell is queued or running, or already has an execution count.
_STARTED_JS = """() => [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')]
  .some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))"""


def _read_when_written(path: Path, deadline: float) -> dict:
    """The notebook at ``path`` once the server has finished writing it.

    Jupyter server's atomic writing backs the old file up, then writes the path in place: its mtime changes when the
    write starts, so a read just after can find the file empty or cut short (CI once read ''). Read until it parses.
    """
    while True:
        text = path.read_text(encoding="utf-8")
        try:
            return json.loads(text)
        except json.JSONDecodeError as err:
            if time.monotonic() > deadline:
                raise AssertionError(f"{path.name} was still not valid JSON {SAVE_TIMEOUT} s after File → Save Notebook "
                                     f"({len(text)} characters on disk): {err}") from None
            time.sleep(0.5)


def _run_all_and_save(browser, lab: Lab, name: str) -> dict:
    """Open ``name`` in JupyterLab, Run → Run All Cells, File → Save Notebook; return the notebook saved on disk."""
    path = lab.root / name
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.set_default_timeout(30_000)
        # a workspace of its own: JupyterLab would otherwise reopen the tabs of the previous test's page
        page.goto(f"{lab.base}/lab/workspaces/{path.stem}/tree/{name}?reset&token={lab.token}",
                  wait_until="domcontentloaded", timeout=OPEN_TIMEOUT * 1000)
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=OPEN_TIMEOUT * 1000)
        page.wait_for_function(_KERNEL_IDLE_JS, timeout=OPEN_TIMEOUT * 1000, polling=500)
        panels = page.locator(".jp-NotebookPanel").count()
        assert panels == 1, f"expected only {name} open in JupyterLab, found {panels} notebooks"
        page.locator(".jp-NotebookPanel .jp-Cell").first.click()  # focus the notebook, as a learner would
        _menu(page, "Run", "Run All Cells")
        page.wait_for_function(_STARTED_JS, timeout=30_000, polling=200)  # Run All really started
        page.wait_for_function(_FINISHED_JS, timeout=RUN_TIMEOUT * 1000, polling=1000)
        before = path.stat().st_mtime_ns  # (an autosave may have written it already: wait for this save)
        _menu(page, "File", "Save Notebook")
        deadline = time.monotonic() + SAVE_TIMEOUT
        while path.stat().st_mtime_ns == before:
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} was not saved within {SAVE_TIMEOUT} s of File → Save Notebook")
            time.sleep(0.5)
        return _read_when_written(path, deadline)
    except Exception:
        SHOTS.mkdir(parents=True, exist_ok=True)
        shot = SHOTS / f"lab_{path.stem}.png"
        try:
            page.screenshot(path=str(shot), full_page=True)
        except Exception:
            pass
        try:
            prompts = page.eval_on_selector_all(".jp-CodeCell .jp-InputPrompt", "els => els.map(e => e.textContent)")
            status = page.eval_on_selector_all(".jp-StatusBar-TextItem", "els => els.map(e => e.textContent)")
            print(f"prompts: {prompts}\nstatus bar: {status}")
        except Exception:
            pass
        print(f"screenshot: {shot}\nJupyterLab log (tail):\n{lab.log_tail()}")
        raise
    finally:
        page.close()
        lab.stop_kernel_of(name)


def _problems(nb: dict) -> list[str]:
    """One line per code cell that did not run or holds an error output; empty when the whole notebook ran."""
    out = []
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    for i, cell in enumerate(code):
        first = "".join(cell["source"]).strip().splitlines()[:1]
        where = f"code cell {i} ({first[0][:60] if first else 'empty'!r})"
        if cell.get("execution_count") is None:
            out.append(f"{where} did not run")
        for o in cell.get("outputs", []):
            if o.get("output_type") == "error":
                out.append(f"{where} raised {o.get('ename')}: {o.get('evalue')}")
    if not any(c.get("outputs") for c in code):
        out.append("no code cell has any output")
    return out


def test_chapter_00_runs_in_jupyterlab_from_course_sh(browser, lab):
    name = CHAPTER.name
    _cleared_copy(lab.root / name)
    nb = _run_all_and_save(browser, lab, name)
    problems = _problems(nb)
    assert not problems, "chapter 00 run through JupyterLab's menus:\n" + "\n".join(problems)
    setup_out = "".join("".join(o.get("text", "")) for o in nb["cells"][1]["outputs"])
    profile = os.environ.get("COURSE_PROFILE", "smoke")
    assert f"profile '{profile}'" in setup_out, \
        f"the kernel did not get the test's environment (COURSE_PROFILE={profile}):\n{setup_out[:500]}"


def test_an_error_raised_in_the_browser_run_is_caught(browser, lab):
    """The check above can fail: a planted failing cell is reported, and Run All stopped there."""
    name = "planted_error.ipynb"
    _cleared_copy(lab.root / name, plant_error=True)
    nb = _run_all_and_save(browser, lab, name)
    problems = _problems(nb)
    assert any(f"raised RuntimeError: {PLANTED}" in p for p in problems), problems
    assert nb["cells"][1]["execution_count"] is not None, "the setup cell before the planted error should have run"
    assert any(p.endswith("did not run") for p in problems), f"Run All should stop at the error: {problems}"
