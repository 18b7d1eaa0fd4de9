"""The course's kernel: setup.sh writes it inside the venv (scripts/register_kernel.py), never in the user's home.

A ``python3`` kernelspec in ``~/.local/share/jupyter`` would change which Python every other Jupyter of the account
runs as "Python 3"; earlier versions of setup.sh wrote one there, and the script removes that copy, only that one.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from script_loader import load_script

ROOT = Path(__file__).resolve().parent.parent
rk = load_script("register_kernel")


def _spec(folder: Path, python: str, display: str = "Python 3 (course)") -> Path:
    folder.mkdir(parents=True)
    (folder / "kernel.json").write_text(json.dumps({"argv": [python, "-m", "ipykernel_launcher", "-f",
                                                             "{connection_file}"],
                                                    "display_name": display, "language": "python"}))
    return folder


def _env(home: Path) -> dict[str, str]:
    """The environment of a learner whose home is ``home`` (no Jupyter folder overridden)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / ".local" / "share"))
    return env


def test_only_the_course_kernel_of_this_python_is_removed(tmp_path):
    kernels = tmp_path / "kernels"
    _spec(kernels / "python3", sys.executable)
    assert rk.remove_old_user_copy(str(tmp_path), sys.executable) == str(kernels / "python3")
    assert not (kernels / "python3").exists()
    assert rk.remove_old_user_copy(str(tmp_path), sys.executable) is None  # nothing there: nothing to do

    _spec(kernels / "python3", "/usr/bin/python3")  # the course name, another Python: the user's, kept
    assert rk.remove_old_user_copy(str(tmp_path), sys.executable) is None
    (kernels / "python3" / "kernel.json").unlink()
    (kernels / "python3").rmdir()
    _spec(kernels / "python3", sys.executable, display="Python 3 (ipykernel)")  # not ours either, kept
    assert rk.remove_old_user_copy(str(tmp_path), sys.executable) is None
    (kernels / "python3" / "kernel.json").write_text("{not json")
    assert rk.remove_old_user_copy(str(tmp_path), sys.executable) is None
    assert (kernels / "python3" / "kernel.json").exists()


def test_register_kernel_writes_into_the_prefix_and_clears_the_old_home_copy(tmp_path):
    home, prefix = tmp_path / "home", tmp_path / "prefix"
    old = _spec(home / ".local" / "share" / "jupyter" / "kernels" / "python3", sys.executable)
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "register_kernel.py"), "--prefix", str(prefix)],
                         env=_env(home), capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert not old.exists(), "the course kernel an earlier setup.sh put in the home folder should be gone"
    assert "removed the course kernel" in run.stdout
    spec = json.loads((prefix / "share" / "jupyter" / "kernels" / "python3" / "kernel.json").read_text())
    assert spec["display_name"] == "Python 3 (course)" and spec["argv"][0] == sys.executable
    assert not any((home / ".local" / "share" / "jupyter" / "kernels").iterdir()), "nothing new in the home folder"


def test_the_venv_jupyter_runs_its_own_python_even_with_another_python3_kernel_at_home(tmp_path):
    """Why no copy in the home folder is needed: the venv's jupyter reads the venv's kernels first."""
    home = tmp_path / "home"
    _spec(home / ".local" / "share" / "jupyter" / "kernels" / "python3", "/opt/elsewhere/bin/python3",
          display="Python 3 (someone else's)")
    code = ("import json, sys; from jupyter_client.kernelspec import KernelSpecManager; "
            "s = KernelSpecManager().get_kernel_spec('python3'); "
            "print(json.dumps({'dir': s.resource_dir, 'argv0': s.argv[0], 'prefix': sys.prefix, "
            "'exe': sys.executable}))")
    run = subprocess.run([sys.executable, "-c", code], env=_env(home), capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["argv0"] in ("python", got["exe"]), got  # jupyter_client runs "python" as sys.executable
    assert not got["dir"].startswith(str(home)), f"the home folder's python3 kernel won: {got}"
    assert "someone else" not in json.dumps(got)
