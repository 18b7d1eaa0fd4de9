"""pytest configuration: safe defaults for the environment, and one line per notebook with its nbval duration."""
import os
import tempfile
from collections import defaultdict

# Tests (and the notebook kernels nbval starts, which inherit this environment) default to the CI profile and
# never write into the committed results/results.csv.
os.environ.setdefault("COURSE_PROFILE", "smoke")
os.environ.setdefault("COURSE_RESULTS", os.path.join(tempfile.mkdtemp(prefix="course-results-"), "results.csv"))
os.environ.setdefault("MPLBACKEND", "Agg")

_durations: dict[str, float] = defaultdict(float)
_failed: dict[str, int] = defaultdict(int)


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _durations[path] += report.duration
        if report.failed:
            _failed[path] += 1


def pytest_terminal_summary(terminalreporter):
    if not _durations:
        return
    terminalreporter.section("notebook durations")
    for path, seconds in sorted(_durations.items()):
        status = f"{_failed[path]} failed cell(s)" if _failed[path] else "ok"
        terminalreporter.write_line(f"{seconds:8.1f} s  {path}  ({status})")
    terminalreporter.write_line(f"{sum(_durations.values()):8.1f} s  all notebooks")
