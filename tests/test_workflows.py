"""The GitHub Actions workflows: valid YAML, every script a step runs exists, Python versions match pyproject."""
import re
import sys
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))


def load(path: Path) -> dict:
    wf = yaml.safe_load(path.read_text())
    wf["on"] = wf.get("on", wf.pop(True, None))  # YAML 1.1 reads the key `on` as True
    return wf


def steps(wf: dict):
    for job in wf["jobs"].values():
        yield from job.get("steps", [])


def runs(wf: dict) -> list[str]:
    return [s["run"] for s in steps(wf) if "run" in s]


def min_python() -> tuple[int, int]:
    text = (ROOT / "pyproject.toml").read_text()
    if sys.version_info >= (3, 11):
        import tomllib

        spec = tomllib.loads(text)["project"]["requires-python"]
    else:  # Python 3.10 has no tomllib: the one line is enough
        spec = re.search(r'^requires-python\s*=\s*"([^"]+)"', text, re.MULTILINE).group(1)
    m = re.fullmatch(r">=\s*(\d+)\.(\d+)", spec.strip())
    assert m, f"requires-python {spec!r}: this test understands '>=X.Y' only"
    return int(m.group(1)), int(m.group(2))


def version(v) -> tuple[int, int]:
    major, minor = str(v).split(".")[:2]
    return int(major), int(minor)


def test_the_three_workflows_exist():
    assert {p.name for p in FILES} >= {"ci.yml", "weekly.yml", "gpu.yml"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_referenced_scripts_and_modules_exist(path):
    wf = load(path)
    assert wf["jobs"] and wf["on"]
    for cmd in runs(wf):
        for script in re.findall(r"(?:bash|sh|python\S*)\s+((?:scripts|\.ci|tests)/[\w./-]+)", cmd):
            assert (ROOT / script).is_file(), f"{path.name}: {script} does not exist"
        for script in re.findall(r"(?:^|\s)(\.ci/[\w-]+)", cmd):
            assert (ROOT / script).is_file(), f"{path.name}: {script} does not exist"
        for module in re.findall(r"python\S*\s+-m\s+([\w.]+)", cmd):
            top = module.split(".")[0]
            if top in ("pip", "pytest"):
                continue
            base = {"course_data": ROOT / "data"}.get(top, ROOT / top)
            rel = Path(*module.split(".")[1:])
            target = base / rel
            assert (target.with_suffix(".py").is_file() or (target / "__main__.py").is_file()), \
                f"{path.name}: python -m {module} has no module in the repository"


def test_ci_python_matrix_matches_requires_python():
    wf = load(WORKFLOWS / "ci.yml")
    assert set(wf["on"]) >= {"push", "pull_request"}
    versions = set()
    for job in wf["jobs"].values():
        matrix = job.get("strategy", {}).get("matrix", {})
        versions |= {version(v) for v in matrix.get("python", [])}
        versions |= {version(inc["python"]) for inc in matrix.get("include", [])}
    assert versions, "ci.yml has no Python matrix"
    assert min(versions) == min_python(), "the oldest Python tested must be requires-python's lower bound"
    assert max(versions) > min_python(), "test a newer Python too"
    for wf_path in FILES:  # every pinned Python anywhere is allowed by requires-python
        for step in steps(load(wf_path)):
            v = step.get("with", {}).get("python-version")
            if v and "${{" not in str(v):
                assert version(v) >= min_python(), f"{wf_path.name}: Python {v} < requires-python"


def test_ci_runs_the_same_steps_as_dot_ci_run():
    ci_run = (ROOT / ".ci" / "run").read_text()
    cmds = "\n".join(runs(load(WORKFLOWS / "ci.yml")))
    for script in re.findall(r"bash (scripts/[\w.]+\.sh)", ci_run):
        assert script in cmds, f".ci/run runs {script}, ci.yml does not"


def test_weekly_is_scheduled_newest_and_online():
    wf = load(WORKFLOWS / "weekly.yml")
    assert "workflow_dispatch" in wf["on"] and wf["on"]["schedule"][0]["cron"].count(" ") == 4
    assert wf["env"]["COURSE_DEPS"] == "newest" and wf["env"]["COURSE_PROFILE"] == "smoke"
    assert "HF_HUB_OFFLINE" not in yaml.safe_dump(wf) and "COURSE_DATA_DIR" not in yaml.safe_dump(wf)


def test_gpu_is_manual_on_a_self_hosted_gpu_runner():
    wf = load(WORKFLOWS / "gpu.yml")
    assert set(wf["on"]) == {"workflow_dispatch"}
    assert wf["env"]["COURSE_PROFILE"] == "gpu"
    for job in wf["jobs"].values():
        assert {"self-hosted", "gpu"} <= set(job["runs-on"])


def test_issue_template_asks_for_doctor_and_platform():
    text = (ROOT / ".github" / "ISSUE_TEMPLATE" / "bug_report.md").read_text()
    assert "python -m course_utils.doctor" in text
    for where in ("Colab", "local", "JupyterHub"):
        assert where in text
