"""Load a script under scripts/ (or benchmarks/) as a module, so tests can call its functions (neither is a package)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_script(name: str, module_name: str | None = None, folder: str = "scripts"):
    """``<folder>/<name>.py`` imported as a module named ``module_name`` (default ``_<name>``)."""
    path = ROOT / folder / f"{name}.py"
    spec = importlib.util.spec_from_file_location(module_name or f"_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod
