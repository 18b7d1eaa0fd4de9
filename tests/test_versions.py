"""The version files agree with each other: constraints/tested.txt (what setup.sh installs), constraints/oldest.txt
(the lower bounds that scripts/test_oldest.sh tests), pyproject.toml, setup.sh and environment.yml."""
from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"{path.name}: not an exact pin: {line!r}"
            pins[canonicalize_name(name)] = version
    return pins


def _dependencies(extras=("dev", "offline")) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = list(project["dependencies"])
    for extra in extras:
        reqs += project["optional-dependencies"][extra]
    return [Requirement(r) for r in reqs]


def test_tested_versions_satisfy_pyproject():
    tested = _pins(ROOT / "constraints" / "tested.txt")
    for req in _dependencies():
        name = canonicalize_name(req.name)
        assert name in tested, f"{req.name} is a dependency but not in constraints/tested.txt"
        assert req.specifier.contains(Version(tested[name]), prereleases=True), (
            f"tested {req.name}=={tested[name]} is outside pyproject's {req}")


def test_torch_is_the_same_everywhere():
    torch = _pins(ROOT / "constraints" / "tested.txt")["torch"]
    assert torch == "2.13.0"
    setup = (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
    assert f"TORCH_VERSION=${{TORCH_VERSION:-{torch}}}" in setup
    assert f"torch=={torch}" in (ROOT / "environment.yml").read_text(encoding="utf-8")
    assert _pins(ROOT / "constraints" / "oldest.txt")["torch"] == torch


def test_oldest_constraints_are_up_to_date_with_pyproject():
    spec = importlib.util.spec_from_file_location("oldest_constraints", ROOT / "scripts" / "oldest_constraints.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    expected = {canonicalize_name(p.split("==")[0]): p.split("==")[1].split()[0] for p in mod.lowest_pins()}
    assert _pins(ROOT / "constraints" / "oldest.txt") == expected, (
        "pyproject.toml's lower bounds changed: run python scripts/oldest_constraints.py > constraints/oldest.txt "
        "(and bash scripts/test_oldest.sh)")
    for req in _dependencies(extras=("offline",)):  # each runtime dependency has a lower bound to test
        assert re.search(r">=|==", str(req.specifier)), req


def test_setup_sh_rejects_an_unknown_deps_mode():
    run = subprocess.run(["bash", str(ROOT / "scripts" / "setup.sh")], env={"PATH": "/usr/bin:/bin",
                         "COURSE_DEPS": "latest"}, capture_output=True, text=True, timeout=30)
    assert run.returncode == 2 and "COURSE_DEPS must be 'tested' (default) or 'newest'" in run.stdout


@pytest.mark.parametrize("script", ["setup.sh", "test_oldest.sh", "freeze_tested.sh"])
def test_scripts_parse(script):
    assert subprocess.run(["bash", "-n", str(ROOT / "scripts" / script)], timeout=30).returncode == 0
