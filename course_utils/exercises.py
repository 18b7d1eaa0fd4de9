"""Auto-checked exercises.

A chapter's checks live in ``course_utils/checks/chNN.py``. Each check takes the learner's answer and returns a truthy/falsy
``CheckResult`` after printing what is right or wrong and why. An answer left as ``None`` (or ``...``) prints a
reminder instead of failing, so a learner can run the whole notebook before trying the exercises.

Writing a check::

    @exercise("1.1", "log-count ratio")
    def check_log_count_ratio(answer):
        expected = ...
        require(np.allclose(answer, expected, atol=1e-6), "values differ from the reference", hint="add alpha to BOTH counts")
        return "r matches the reference on a toy corpus"

``require`` stops the check with a helpful message; the returned string is printed on success.
Solutions are executed in CI with ``assert check_...(solution)``.

Two kinds of failure are kept apart: a wrong ANSWER prints "not yet" and a hint (the check returns a falsy
``CheckResult``), while a MISUSED check (a missing or wrong-typed argument other than the answer, an unknown
keyword) raises ``CheckUsageError`` (a ``TypeError``) saying how to call it. Checks use ``require_usage`` for
their other arguments and ``as_number`` / ``as_tensor`` / ``as_index_list`` to read what the answer returned.
"""
from __future__ import annotations

import functools
import inspect
import math
import numbers
import sys
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator


class CheckFailed(Exception):
    """Raised by ``require`` inside a check; turned into a friendly message by ``@exercise``."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message, self.hint = message, hint


def require(condition: bool, message: str, hint: str = "") -> None:
    """Fail the current check with ``message`` (and an optional ``hint``) unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(message, hint)


class CheckUsageError(TypeError):
    """A check was called the wrong way (not the learner's answer's fault); the message says how to call it."""


def require_usage(condition: bool, message: str) -> None:
    """Raise ``CheckUsageError(message)`` unless ``condition`` holds (for a check's non-answer arguments)."""
    if not condition:
        raise CheckUsageError(message)


def as_number(got: Any, what: str) -> float:
    """``got`` (what the learner's function returned) as a finite float, or a failed check saying what it was."""
    if hasattr(got, "item") and getattr(got, "shape", None) in ((), (1,)):
        got = got.item()  # numpy / torch scalars
    require(isinstance(got, numbers.Real) and not isinstance(got, bool),
            f"{what} returned {type(got).__name__} {str(got)[:60]}, expected a number", hint="return a float, not a "
            "string, list or None (did you forget `return`?)")
    require(math.isfinite(float(got)), f"{what} returned {got!r}, expected a finite number")
    return float(got)


def as_index_list(got: Any, what: str) -> list[int]:
    """``got`` as a list of ints (a list, tuple, range or 1-D array of integers), or a failed check."""
    import numpy as np

    require(isinstance(got, (list, tuple, range, np.ndarray)) or type(got).__name__ == "Tensor",
            f"{what} returned {type(got).__name__}, expected a list of integer indices",
            hint="return a list such as [2, 0, 4] (did you forget `return`?)")
    items = list(np.asarray(got).ravel()) if not isinstance(got, (list, tuple, range)) else list(got)
    bad = [x for x in items if isinstance(x, (bool, np.bool_)) or not isinstance(x, (numbers.Integral, np.integer))]
    if bad:
        require(False, f"{what} returned {str(items)[:80]}: every entry must be an integer index, not "
                       f"{type(bad[0]).__name__}", hint="return positions (ints), not the items themselves")
    return [int(x) for x in items]


def as_tensor(got: Any, what: str, shape: tuple[int, ...] | None = None, like: Any = None):
    """``got`` as a CPU torch tensor (numpy arrays are converted), optionally of ``shape``; floating tensors are
    cast to ``like``'s dtype so comparisons with the reference work. A failed check says what ``got`` was."""
    import numpy as np
    import torch

    if isinstance(got, np.ndarray) and got.dtype.kind in "biuf":
        got = torch.from_numpy(np.ascontiguousarray(got))
    require(isinstance(got, torch.Tensor), f"{what} should be a torch.Tensor, got {type(got).__name__}",
            hint="build it with torch operations, or wrap it: torch.tensor(...) (did you forget `return`?)")
    got = got.detach().cpu()
    if shape is not None:
        require(tuple(got.shape) == tuple(shape), f"{what} should have shape {tuple(shape)}, got {tuple(got.shape)}")
    if like is not None and like.is_floating_point() and got.dtype != like.dtype:
        got = got.to(like.dtype)
    return got


def _code_key(code: Any) -> tuple[Any, ...]:
    # not co_code: its bytes differ between a module and a notebook cell compiling the same source
    # nested code objects (a comprehension, a lambda) are compared the same way: their repr holds an address
    consts = tuple(_code_key(c) if inspect.iscode(c) else repr(c) for c in code.co_consts)
    return code.co_name, code.co_names, code.co_varnames, consts


def _as_code(obj: Any) -> Any:
    obj = inspect.unwrap(obj.fget if isinstance(obj, property) else obj)
    obj = getattr(obj, "__func__", obj)
    return obj.__code__


@contextmanager
def watch_calls(shortcuts: Iterable[Any]) -> Iterator[list[str]]:
    """Record, while the block runs, every call of a function in ``shortcuts`` (functions or methods).

    A call is recognised by its code (name, names used, variables and constants), so the package's function, a copy written in a notebook
    cell and a ``from ... import`` alias are all caught. Yields the list of names that were called.
    """
    keys = {_code_key(_as_code(f)): getattr(f, "__qualname__", str(f)) for f in shortcuts}
    hits: list[str] = []
    previous = sys.getprofile()

    def profiler(frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            name = keys.get(_code_key(frame.f_code))
            if name is not None and name not in hits:
                hits.append(name)

    sys.setprofile(profiler)
    threading.setprofile(profiler)
    try:
        yield hits
    finally:
        sys.setprofile(previous)
        threading.setprofile(None)


def call_without(answer: Callable[..., Any], shortcuts: Iterable[Any], *args: Any, what: str = "", **kwargs: Any) -> Any:
    """``answer(*args, **kwargs)``, failing the check if it called one of the course helpers in ``shortcuts``
    that compute the answer (the exercise is to write it, not to call it)."""
    with watch_calls(shortcuts) as hits:
        got = answer(*args, **kwargs)
    require(not hits, f"{what or getattr(answer, '__name__', 'your function')} calls {', '.join(hits)}, the "
                      "course's own solution to this exercise",
            hint="write it yourself with torch / numpy operations; the helper is what your answer is compared with")
    return got


def _usage(fn: Callable[..., Any]) -> str:
    params = [p.name if p.default is inspect.Parameter.empty else f"{p.name}=..."
              for p in inspect.signature(fn).parameters.values()]
    return f"{fn.__name__}({', '.join(params)})"


class CheckResult:
    """Truthy when the answer is right. Shows nothing in a notebook (the check already printed its verdict)."""

    def __init__(self, ok: bool):
        self.ok = bool(ok)

    def __bool__(self) -> bool:
        return self.ok

    def __eq__(self, other: object) -> bool:
        return self.ok == bool(other) if isinstance(other, (bool, CheckResult)) else NotImplemented

    def __hash__(self) -> int:
        return hash(self.ok)

    def __repr__(self) -> str:
        return f"CheckResult({self.ok})"

    def _ipython_display_(self) -> None:  # keep notebook outputs to the printed verdict
        pass


def exercise(number: str, title: str) -> Callable[[Callable[..., Any]], Callable[..., CheckResult]]:
    """Decorator turning a check function into a learner-facing checker that prints and returns a bool."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., bool]:
        @functools.wraps(fn)
        def check(answer: Any = None, *args: Any, **kwargs: Any) -> CheckResult:
            label = f"Exercise {number} ({title})"
            try:
                inspect.signature(fn).bind(answer, *args, **kwargs)
            except TypeError as exc:
                raise CheckUsageError(f"{fn.__name__}: {exc}. Call it as {_usage(fn)}") from None
            if answer is None or answer is Ellipsis:
                print(f"[ ] {label}: not attempted yet - replace None with your answer and run the cell again.")
                return CheckResult(False)
            try:
                detail = fn(answer, *args, **kwargs)
            except CheckUsageError:
                raise
            except CheckFailed as exc:
                print(f"[x] {label}: not yet - {exc.message}" + (f"\n    hint: {exc.hint}" if exc.hint else ""))
                return CheckResult(False)
            except Exception as exc:  # the learner's function crashed: say so, without a wall of traceback
                print(f"[x] {label}: your answer raised {type(exc).__name__}: {exc}")
                return CheckResult(False)
            print(f"[ok] {label}: correct!" + (f" {detail}" if isinstance(detail, str) and detail else ""))
            return CheckResult(True)

        check.exercise_number = number  # type: ignore[attr-defined]
        return check

    return wrap
