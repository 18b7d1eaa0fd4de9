"""The pytest warning filters (pyproject.toml): a DeprecationWarning or FutureWarning raised from the course's own
modules (course_utils.*, course_data.*) fails the tests, one from a third-party module does not. Also: the known
torch int8 deprecation notices are silenced inside quantize_dynamic_int8 and nowhere else."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _warn_from(module: str, category: type[Warning], message: str = "old API") -> None:
    """``warnings.warn`` run by code whose module ``__name__`` is ``module`` (what the filters match on)."""
    code = compile(f"import warnings\nwarnings.warn({message!r}, {category.__name__}, stacklevel=1)\n",
                   module.replace(".", "/") + ".py", "exec")
    exec(code, {"__name__": module, category.__name__: category})  # noqa: S102 (fixed code)


@pytest.mark.parametrize("category", [DeprecationWarning, FutureWarning])
@pytest.mark.parametrize("module", ["course_utils", "course_utils.variants", "course_data", "course_data.cards"])
def test_deprecation_from_course_code_is_an_error(module, category):
    with pytest.raises(category, match="old API"):
        _warn_from(module, category)
    with pytest.raises(category):
        warnings.warn_explicit("old API", category, "x.py", 1, module=module)


@pytest.mark.parametrize("module", ["transformers.utils", "torch.ao.quantization", "course_utilsx", "my_course_utils"])
def test_deprecation_from_elsewhere_is_not_an_error(module):
    _warn_from(module, DeprecationWarning)  # ignored: no exception
    warnings.warn_explicit("old API", DeprecationWarning, "x.py", 1, module=module)


def test_other_warnings_from_course_code_still_just_warn():
    with pytest.warns(UserWarning, match="just a note"):
        _warn_from("course_utils.plots", UserWarning, "just a note")


def test_the_filters_fail_a_real_pytest_run(tmp_path):
    """End to end: a separate pytest run with this project's configuration fails on a course deprecation only."""
    (tmp_path / "test_probe.py").write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_warnings import _warn_from

        def test_course():
            _warn_from("course_utils.probe", DeprecationWarning)

        def test_third_party():
            _warn_from("somelib.probe", DeprecationWarning)
    """))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(tmp_path),
         "-o", "addopts=", "-p", "no:cacheprovider", "-q", str(tmp_path / "test_probe.py")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert "1 failed, 1 passed" in out and "test_course" in out and "DeprecationWarning: old API" in out, out


def test_quantize_dynamic_int8_hides_only_torchs_known_notices():
    import torch

    from course_utils import costs

    model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)).eval()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quantized = costs.quantize_dynamic_int8(model)
        quantized(torch.randn(2, 8))
    assert not [str(w.message)[:120] for w in caught if "quantiz" in str(w.message).lower()]
    with warnings.catch_warnings(record=True) as caught:  # the silencing does not leak out of the function
        warnings.simplefilter("always")
        warnings.warn("torch.ao.quantization is deprecated (probe)", DeprecationWarning)
    assert len(caught) == 1
