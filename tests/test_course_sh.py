"""scripts/course.sh: --allow-root only as root, the URL message, the user's arguments passed on (fake jupyter)."""
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(tmp_path, uid, *args):
    log = tmp_path / "args.txt"
    fake = tmp_path / "jupyter"
    fake.write_text(f'#!/usr/bin/env bash\nprintf "%s\\n" "$@" > "{log}"\n')
    fake.chmod(0o755)
    env = dict(os.environ, COURSE_SKIP_SETUP="1", COURSE_JUPYTER=str(fake))
    env.pop("COURSE_NOTEBOOK_DIR", None)
    if uid is None:
        env.pop("COURSE_UID", None)
    else:
        env["COURSE_UID"] = str(uid)
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "course.sh"), *args], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return log.read_text().splitlines(), proc.stdout


def test_root_gets_allow_root(tmp_path):
    args, out = run(tmp_path, 0)
    assert args[:2] == ["lab", "chapters/"] and "--allow-root" in args
    assert "running as root" in out and "http://localhost:8888/lab" in out


def test_non_root_keeps_the_old_command(tmp_path):
    args, out = run(tmp_path, 1000, "--port", "9999", "--no-browser")
    assert args == ["lab", "chapters/", "--port", "9999", "--no-browser"]
    assert "http://localhost:9999/lab" in out and "root" not in out


def test_port_equals_form(tmp_path):
    _, out = run(tmp_path, 1000, "--port=8765")
    assert "http://localhost:8765/lab" in out


def test_notebook_dir_hook(tmp_path):
    """COURSE_NOTEBOOK_DIR (tests/test_lab_browser.py) replaces chapters/ and nothing else."""
    log, fake = tmp_path / "args.txt", tmp_path / "jupyter"
    fake.write_text(f'#!/usr/bin/env bash\nprintf "%s\\n" "$@" > "{log}"\n')
    fake.chmod(0o755)
    env = dict(os.environ, COURSE_SKIP_SETUP="1", COURSE_JUPYTER=str(fake), COURSE_UID="1000",
               COURSE_NOTEBOOK_DIR=str(tmp_path))
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "course.sh"), "--no-browser"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert log.read_text().splitlines() == ["lab", str(tmp_path), "--no-browser"]


def test_real_uid_decides_without_override(tmp_path):
    args, _ = run(tmp_path, None)
    assert ("--allow-root" in args) == (os.getuid() == 0)


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to drop privileges")
def test_as_a_real_non_root_user(tmp_path):
    import shutil

    if not shutil.which("setpriv"):
        pytest.skip("setpriv missing")
    import tempfile

    tmp_path = Path(tempfile.mkdtemp(prefix="course-sh-"))  # pytest's tmp_path sits in a 0700 folder
    tmp_path.chmod(0o777)
    log = tmp_path / "args.txt"
    fake = tmp_path / "jupyter"
    fake.write_text(f'#!/usr/bin/env bash\nprintf "%s\\n" "$@" > "{log}"\n')
    fake.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "COURSE_UID"}
    env.update(COURSE_SKIP_SETUP="1", COURSE_JUPYTER=str(fake))
    proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "bash",
                           str(ROOT / "scripts" / "course.sh")], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    if proc.returncode != 0:
        pytest.skip(f"cannot run the script as nobody here: {proc.stderr.strip()[:200]}")
    assert "--allow-root" not in log.read_text()
    shutil.rmtree(tmp_path, ignore_errors=True)
