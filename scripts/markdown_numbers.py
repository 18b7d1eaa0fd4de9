"""Numbers that markdown quotes must be real, and cross-references must point somewhere.

    python scripts/markdown_numbers.py                     # every chapters/NN_*.ipynb; exit status 1 on findings
    python scripts/markdown_numbers.py chapters/03_*.ipynb # some notebooks
    python scripts/markdown_numbers.py --at 64b31be [03_]   # the notebooks of an earlier commit (read with git)

The course rule (docs: COURSE_GUIDE "Numbers a chapter prints are real") is that markdown never types a result by
hand. This checker finds the sentences that break it when a notebook is re-executed and its results move:

**Which numbers are result-like** (anything else, e.g. a bare integer such as "6 layers", "384 hidden", "512
tokens", "3 epochs", a year, list or section numbering, is never a claim):
  - percentages (``88.07%``, ``88.1 %``, ``7 percent``, "about a percent");
  - decimals (``0.803``, ``0.19``, ``90.9 MB``), except version numbers (``5.23.0``, "Python 3.11"),
    exercise/section numbers ("Exercise 4.4"), multipliers and dimensions (``4x``, ``100-d``);
  - differences in points (``1.2 points``, ``3 pp``);
  - counts with a suffix and a decimal point (``22.7M`` parameters); a whole number with a suffix ("110M",
    "128k vocabulary", "67k phrases") is the conventional name of a size and is not checked;
  - times (``458 s``, ``8.1 min``, ``15-minute``, ``12 ms``, ranges such as ``5-10 minutes``).

**Where a result-like number may come from** (it passes when one of these holds):
  1. the results store: a ``value``, ``seconds`` or ``params`` of ``results/results.csv`` recorded by this chapter
     or an earlier one in the notebook's executed profile, or (for "points") the difference of two values this
     chapter recorded for one dataset, split and metric, written the way a notebook rounds it (fraction or
     percent, to the number of decimals the sentence uses);
  2. the text outputs of the same notebook (stream, text/plain, text/html, errors): a number a cell printed,
     again compared at the sentence's precision (0.8807 printed supports "88.1%" and "0.88");
  3. for times: the notebook's measured run time (metadata ``course.run_seconds``, written by
     scripts/execute_notebooks.sh) and the chapter's T4 estimate in ``results/gpu_estimates.json``
     (scripts/estimate_gpu_times.py); a printed time such as "in 83 s";
  4. the notebook's own code: a numeric literal of a code cell is a setting, not a result (``0.1`` supports "10%
     of the steps", ``0.5`` "dropout 0.5"); it never supports a time, a difference in points or a number in words;
  5. arithmetic written out in the sentence ("ln 2 ≈ 0.69", "384 / 12 = 32"): the checker evaluates it.

A number matches when the value rounds to it at the precision written ("88.1%" is 0.8805 to 0.8815); "about",
"~", "≈", "roughly" widen that to one unit of the last digit (never more than half the number); a range
("5-10 minutes") passes when some measured value lies in it.

A number with one or two significant digits ("7%", "0.19", "a percent") matches something somewhere in a notebook
by chance, so for it the outputs that count are those of its own section (the code cells between the headings
before and after the markdown cell); the results store, the run time and the code still count everywhere.
A hyphenated modifier after "a"/"an" ("a 15-minute budget", "a 1-point difference") names a kind of thing,
not a value, and is not checked.

**Sentences that are exempt**: text in code spans, code blocks, math (``$...$``), link targets and quotation marks
(words quoted from a tutorial or an output); a sentence that cites published work (it contains "et al", a year
such as 2019, a link to arxiv/aclanthology/doi, "published", "paper", "cited" or "model card"), and the rest of a
paragraph or list item whose first sentence does (it describes that work); a paragraph holding the marker
``<!-- not-a-result -->`` (use it for a number that is none of the above but is not a result of this run, and say
why next to it). Chapter, section and link references are checked everywhere, exempt or not.

**Cross-references**: every "chapter N"/"chapters N-M"/"chNN" in markdown and in printed outputs must be a
chapters/NN_*.ipynb; "section N" must be a "## N." heading of the notebook (or of the chapter it names: "chapter
04's section 5") when that notebook numbers its sections; a relative markdown/HTML link must name a file or
folder that exists.

Each finding names the notebook, the cell index (0-based, as in ``nb["cells"]``), the quoted number or
reference, why it failed, and the sentence.
"""
from __future__ import annotations

import ast
import csv
import io
import json
import math
import re
import sys
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

ROOT = Path(__file__).resolve().parent.parent
MARKER = "<!-- not-a-result -->"

# ---------------------------------------------------------------------------------------------------------------
# findings


@dataclass(frozen=True)
class Finding:
    notebook: str
    cell: int
    kind: str  # "number" | "chapter" | "section" | "link" | "arithmetic"
    quoted: str
    message: str
    sentence: str = ""
    where: str = "markdown"  # or "output"

    def __str__(self) -> str:
        s = f"{self.notebook} cell {self.cell} ({self.where}): {self.kind} {self.quoted!r}: {self.message}"
        return s + (f"\n    > {self.sentence}" if self.sentence else "")


# ---------------------------------------------------------------------------------------------------------------
# numbers

NUM = r"\d+(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
WORD_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "half a": 0.5, "a half": 0.5}
TIME_UNITS = {"ms": 0.001, "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "min": 60, "mins": 60,
              "minute": 60, "minutes": 60, "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600}
_TIME_ALT = "|".join(sorted(TIME_UNITS, key=len, reverse=True))
APPROX_RE = re.compile(
    r"(?:\babout|\baround|\broughly|\bapproximately|\bnearly|\balmost|\bsome|~|≈|∼|\bclose to)\s*$", re.I)
SKIP_BEFORE_RE = re.compile(
    r"(?:\b(?:exercises?|sections?|§|python|torch|transformers|datasets|scikit-learn|sklearn|numpy|pandas|"
    r"accelerate|versions?|v|release|table|figure|fig\.|step|chapters?|ch)\s*)$", re.I)

CLAIM_RE = re.compile(
    rf"""
    (?P<range>(?P<lo>{NUM})\s*(?:-|–|to)\s*(?P<hi>{NUM})\s*(?P<runit>%|percent\b|per\ cent\b|points?\b|pp\b|
        (?:{_TIME_ALT})\b))
  | (?P<wordpct>\b(?P<word>half\ a|a\ half|a|an|one|two|three|four|five|six|seven|eight|nine|ten)\s+
        (?:percent|per\ cent)\b)
  | (?P<num>(?<![\w.,])[-+−]?(?:{NUM}))
        (?P<unit>\s?%|\s+(?:percent|per\ cent)\b|\s*-?\s*(?:percentage\ )?(?:points?|pp)\b|
         -(?:second|minute|hour)\b|\s(?:{_TIME_ALT})\b|(?:ms|min|sec)\b)?
    """, re.X | re.I)


@dataclass
class Claim:
    text: str
    value: float
    decimals: int
    kind: str  # "percent" | "points" | "decimal" | "time" | "count"
    approx: bool
    start: int
    end: int
    hi: float | None = None  # ranges: value .. hi
    seconds_per_unit: float = 1.0
    word: bool = False  # written in words ("a percent")
    compound: bool = False  # a hyphenated modifier ("15-minute", "1-point")

    @property
    def significant(self) -> int:
        """Significant digits as written ("0.33" -> 2, "88.07" -> 4, "a percent" -> 1)."""
        if self.word:
            return 1
        digits = re.sub(r"\D", "", re.match(r"[-+−]?[\d,.]*", self.text).group(0))
        return max(1, len(digits.lstrip("0")))


def _to_float(s: str) -> float:
    return float(s.replace(",", "").replace("−", "-"))


def _decimals(s: str) -> int:
    s = s.replace(",", "")
    return len(s.split(".")[1]) if "." in s else 0


def _unit_kind(unit: str) -> tuple[str | None, float]:
    u = unit.strip().lstrip("-").strip().lower()
    if u in ("%", "percent", "per cent"):
        return "percent", 1.0
    if re.fullmatch(r"(?:percentage )?(?:points?|pp)", u):
        return "points", 1.0
    u = {"second": "s", "minute": "min", "hour": "h"}.get(u, u)
    if u in TIME_UNITS:
        return "time", TIME_UNITS[u]
    return None, 1.0


def find_claims(sentence: str) -> list[Claim]:
    """The result-like numbers of one (cleaned) sentence."""
    claims = []
    for m in CLAIM_RE.finditer(sentence):
        before, after = sentence[:m.start()], sentence[m.end():]
        approx = bool(APPROX_RE.search(before))
        if m.group("range"):
            kind, per = _unit_kind(m.group("runit"))
            lo, hi = m.group("lo"), m.group("hi")
            if SKIP_BEFORE_RE.search(before) or kind is None:
                continue
            claims.append(Claim(m.group(0), _to_float(lo), max(_decimals(lo), _decimals(hi)), kind, approx,
                                m.start(), m.end(), hi=_to_float(hi), seconds_per_unit=per))
        elif m.group("wordpct"):
            claims.append(Claim(m.group(0), WORD_NUMBERS[m.group("word").lower()], 0, "percent", True,
                                m.start(), m.end(), word=True))
        else:
            num, unit = m.group("num"), m.group("unit") or ""
            if SKIP_BEFORE_RE.search(before) or re.match(r"\.\d", after):
                continue  # "Exercise 4.4", "transformers 5.23", "3.11.7"
            count = re.match(r"([kMB])(?:\b|-)", after) if not unit else None
            if count:  # "11.7M parameters" is computed and checked; "110M", "128k" name a size and are not
                if "." not in num:
                    continue
                claims.append(Claim(num + count.group(1), _to_float(num), _decimals(num), "count", approx,
                                    m.start(), m.end() + 1, seconds_per_unit={"k": 1e3, "M": 1e6, "B": 1e9}[
                                        count.group(1)]))
                continue
            if re.match(r"(?:\s?[x×]\b|[x×]\d|-?d\b|-bit|th\b|D\b)", after) and not unit:
                continue  # multipliers and dimensions (4x, 100-d, 8-bit)
            if unit:
                kind, per = _unit_kind(unit)
            else:
                if "." not in num:
                    continue  # a bare integer: sizes, counts, years, numbering
                kind, per = "decimal", 1.0
            claims.append(Claim(m.group(0).strip(), _to_float(num.lstrip("+")), _decimals(num), kind, approx,
                                m.start(), m.end(), seconds_per_unit=per, compound=unit.lstrip().startswith("-")))
    return claims


# ---------------------------------------------------------------------------------------------------------------
# markdown cleaning and sentences

CITE_URL_RE = re.compile(r"arxiv\.org|aclanthology|doi\.org|openreview|proceedings|papers\.nips|\.pdf\b", re.I)
CITATION_RE = re.compile(
    r"\bet al\b|\[cite\]|(?<![\d-])(?:19|20)\d\d[a-z]?(?![\d-])|\bpublished\b|\bpapers?\b|\bcit(?:e|ed|es|ing)\b|"
    r"\bmodel cards?\b", re.I)
LINK_RE = re.compile(r"(!?)\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_LINK_RE = re.compile(r"<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*[\"']([^\"']+)[\"']", re.I)
ABBREV_RE = re.compile(r"(?:\bet al|\be\.g|\bi\.e|\bvs|\bcf|\bFig|\bapprox|\bno|\bEq|\bresp)\.$", re.I)


def clean_markdown(text: str) -> str:
    """Markdown without code blocks, math, HTML and link targets (link text kept, a citation link leaves "[cite]");
    inline code stays readable with its digits masked as "#"."""
    text = re.sub(r"```.*?```|~~~.*?~~~", " ", text, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    text = re.sub(r"(?<!\\)\$[^$\n]+\$", " ", text)
    text = re.sub(r"`([^`\n]*)`", lambda m: re.sub(r"\d", "#", m.group(1)), text)  # kept for reading, no numbers
    text = LINK_RE.sub(lambda m: m.group(2) + (" [cite]" if CITE_URL_RE.search(m.group(3)) else ""), text)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = re.sub(r"<[^>\n]+>", " ", text)
    text = re.sub(r"https?://\S+", lambda m: " [cite] " if CITE_URL_RE.search(m.group(0)) else " ", text)
    return text


def paragraphs(text: str) -> list[str]:
    """Blocks of a markdown cell: blank-line separated, and each list item / heading / quote line on its own."""
    blocks, cur = [], []
    for line in text.splitlines():
        stripped = line.strip()
        new_block = not stripped or re.match(r"(?:[-*+]\s|\d+[.)]\s|#|>|\|)", stripped)
        if new_block and cur:
            blocks.append(" ".join(cur))
            cur = []
        if stripped:
            cur.append(stripped.lstrip(">").strip())
    if cur:
        blocks.append(" ".join(cur))
    return blocks


def sentences(block: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+(?=[\"'(*\[_A-Z0-9])", block)
    out: list[str] = []
    for p in parts:
        if out and ABBREV_RE.search(out[-1]):
            out[-1] += " " + p
        else:
            out.append(p)
    return [s.strip() for s in out if s.strip()]


def unquoted(sentence: str) -> str:
    """The sentence with quotations ("...", “...”) blanked out: words quoted from elsewhere are not our claims."""
    return re.sub(r'"[^"]*"|“[^”]*”', lambda m: " " * len(m.group(0)), sentence)


def _raw_paragraphs(text: str) -> list[str]:
    return re.split(r"\n\s*\n", text)


# ---------------------------------------------------------------------------------------------------------------
# sources: results store, outputs, code, metadata


def load_results(source: str | Path | Iterable[str]) -> list[dict]:
    """Rows of a results.csv (a path, or its text)."""
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source):
        text = Path(source).read_text(encoding="utf-8")
    else:
        text = source if isinstance(source, str) else "".join(source)
    return list(csv.DictReader(io.StringIO(text)))


def _float(x) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def output_texts(cell: dict) -> list[str]:
    texts = []
    for o in cell.get("outputs", []):
        if "text" in o:
            texts.append("".join(o["text"]) if isinstance(o["text"], list) else o["text"])
        data = o.get("data", {})
        for key in ("text/plain", "text/markdown", "text/html"):
            if key in data:
                t = "".join(data[key]) if isinstance(data[key], list) else data[key]
                if key == "text/html":
                    t = re.sub(r"<script.*?</script>|<style.*?</style>", " ", t, flags=re.S | re.I)
                    t = re.sub(r"<[^>]+>", " ", t)
                texts.append(t)
        if o.get("output_type") == "error":
            texts.append(f"{o.get('ename', '')}: {o.get('evalue', '')}")
    return texts


OUT_NUM_RE = re.compile(rf"(?<![\w.])[-+−±]?(?:{NUM})(?:[eE][-+]?\d+)?(?P<unit>\s?%|\s?(?:{_TIME_ALT})\b)?")


@dataclass
class Sources:
    plain: list[float] = field(default_factory=list)     # numbers as printed / recorded
    percents: list[float] = field(default_factory=list)  # numbers printed with a % sign (in percent)
    seconds: list[float] = field(default_factory=list)   # times, in seconds
    diffs: list[float] = field(default_factory=list)     # differences of two recorded values of one metric
    code: set[float] = field(default_factory=set)        # numeric literals of the notebook's code

    def __add__(self, other: "Sources") -> "Sources":
        return Sources(self.plain + other.plain, self.percents + other.percents, self.seconds + other.seconds,
                       self.diffs + other.diffs, self.code | other.code)

    def add_output_text(self, text: str) -> None:
        for m in OUT_NUM_RE.finditer(text):
            raw = m.group(0)
            unit = (m.group("unit") or "").strip()
            num = raw[:len(raw) - len(m.group("unit") or "")].lstrip("±+")
            v = _float(num.replace(",", "").replace("−", "-"))
            if v is None:
                continue
            if unit == "%":
                self.percents.append(v)
            elif unit:
                self.seconds.append(v * TIME_UNITS[unit.lower()] if unit.lower() in TIME_UNITS else v)
            self.plain.append(v)


def code_literals(src: str) -> set[float]:
    lines = [l for l in src.splitlines() if not l.lstrip().startswith(("%", "!"))]
    values: set[float] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline):
            if tok.type == tokenize.NUMBER:
                try:
                    v = ast.literal_eval(tok.string.replace("_", ""))
                except (ValueError, SyntaxError):
                    continue
                if isinstance(v, (int, float)):
                    values.add(float(v))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        for m in re.finditer(r"(?<![\w.])\d+(?:\.\d+)?(?:e[-+]?\d+)?", "\n".join(lines)):
            values.add(float(m.group(0)))
    return values


def chapter_sources(nb: dict, chapter: str | None, results: list[dict] | None,
                    gpu_estimates: dict | None) -> Sources:
    """What a number anywhere in the notebook may quote: the results store (this chapter and earlier ones, the
    notebook's executed profile), the measured run time, the chapter's T4 estimate, and the code's literals."""
    src = Sources()
    profile = nb.get("metadata", {}).get("course", {}).get("executed_profile")
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            src.code |= code_literals(_src(cell))
    run = nb.get("metadata", {}).get("course", {}).get("run_seconds")
    if _float(run):
        src.seconds.append(float(run))
    if gpu_estimates and chapter:
        est = (gpu_estimates.get("chapters", {}).get(chapter) or {})
        for m in [est.get("minutes")] + [j.get("minutes") for j in est.get("jobs", [])]:
            if _float(m) is not None:
                src.seconds.append(float(m) * 60)
    by_metric: dict[tuple, list[float]] = {}
    for row in results or []:
        if chapter is not None and not (row.get("chapter", "") <= chapter):
            continue
        if profile and row.get("profile") and row["profile"] != profile:
            continue
        v = _float(row.get("value"))
        if v is not None:
            src.plain.append(v)
            if row.get("chapter") == chapter:
                by_metric.setdefault((row.get("dataset"), row.get("split"), row.get("metric")), []).append(v)
        s = _float(row.get("seconds"))
        if s is not None:
            src.seconds.append(s)
        n = _float(row.get("params"))
        if n is not None:
            src.plain.append(n)
    for vals in by_metric.values():
        vals = sorted(set(vals))
        src.diffs += [abs(a - b) for i, a in enumerate(vals) for b in vals[i + 1:]]
    return src


def cell_output_sources(nb: dict) -> dict[int, Sources]:
    """The numbers each code cell printed, by cell index."""
    out = {}
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            out[i] = Sources()
            for t in output_texts(cell):
                out[i].add_output_text(t)
    return out


def heading_cells(nb: dict) -> list[int]:
    return [i for i, c in enumerate(nb["cells"])
            if c["cell_type"] == "markdown" and re.search(r"(?m)^#{1,6}\s", _src(c))]


def window(i: int, headings: list[int], n_cells: int) -> range:
    """The cells around markdown cell ``i``: from the heading before it to the heading after it (exclusive)."""
    before = max((h for h in headings if h < i), default=-1)
    after = min((h for h in headings if h > i), default=n_cells)
    return range(before + 1, after)


def _src(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


# ---------------------------------------------------------------------------------------------------------------
# matching


def _close(candidate: float, claim: Claim, scale: float = 1.0, value: float | None = None) -> bool:
    """Does ``candidate * scale`` round to the claim at its precision (one more unit of slack if approximate)?"""
    unit = 10.0 ** -claim.decimals
    tol = 0.5 * unit  # "88.1%" is any value that rounds to it
    if claim.approx:  # "about 88%": one unit of the last digit either side, but never more than half the value
        tol = max(tol, min(unit, 0.5 * abs(claim.value)))
    tol += 1e-9 * max(1.0, abs(claim.value))
    lo, hi = (value if value is not None else claim.value), claim.hi
    x = candidate * scale
    if hi is not None and value is None:
        return lo - tol <= x <= hi + tol
    return abs(x - lo) <= tol


def supported(claim: Claim, src: Sources) -> bool:
    """Is the claim one of the values in ``src``, at the claim's precision?

    Code literals are settings: they support a percentage written as a fraction in code (``0.1`` -> "10%") or a
    decimal written as digits; never a word ("a percent"), a difference in points or a time (a run time is
    measured, and small integers such as 5 and 10 are in every notebook's code)."""
    vals = [claim.value] + ([claim.hi] if claim.hi is not None else [])
    code = src.code if not claim.word else set()
    if claim.kind == "percent":
        return (any(_close(c, claim) for c in src.percents)
                or any(_close(c, claim, 100.0) for c in src.plain if abs(c) <= 1.0 + 1e-9)
                or any(abs(c * 100 - v) < 1e-9 for c in code for v in vals))
    if claim.kind == "points":  # a difference the chapter recorded, or one a cell printed (as 1.2 or 0.012)
        return (any(_close(c, claim, 100.0) for c in src.diffs)
                or any(_close(c, claim) for c in src.plain + src.percents))
    if claim.kind == "decimal":
        return (any(_close(c, claim) for c in src.plain)
                or any(_close(c, claim, 0.01) for c in src.percents)
                or any(abs(c - v) < 1e-9 for c in code for v in vals))
    if claim.kind == "count":
        return any(_close(c, claim, 1.0 / claim.seconds_per_unit) for c in src.plain)
    if claim.kind == "time":
        per = claim.seconds_per_unit
        return any(_close(t, claim, 1.0 / per) for t in src.seconds)
    return False


ARITH_RE = re.compile(
    r"((?:\b(?:ln|log|sqrt)\s*\(?|√\s*)?[\d.,]+\)?(?:\s*[×x*/+\-−]\s*\(?[\d.,]+\)?)*)\s*(?:=|≈|~=)\s*$")


def arithmetic(before: str) -> float | None:
    """The value of a formula written just before "= <number>" / "≈ <number>", if there is one."""
    m = ARITH_RE.search(before)
    if not m:
        return None
    expr = m.group(1).strip()
    if not re.search(r"[×x*/+\-−]|ln|log|sqrt|√", expr):
        return None
    py = expr.replace(",", "").replace("×", "*").replace("−", "-").replace("√", "sqrt ")  # no powers: no huge ints
    py = re.sub(r"(?<=\d)\s*x\s*(?=\d)", "*", py)
    py = re.sub(r"\b(ln|log|sqrt)\s*(\d+(?:\.\d+)?)", r"\1(\2)", py)
    try:
        return float(eval(py, {"__builtins__": {}}, {"ln": math.log, "log": math.log, "sqrt": math.sqrt}))
    except Exception:  # noqa: BLE001 - not a formula after all
        return None


# ---------------------------------------------------------------------------------------------------------------
# cross-references

CHAPTER_RE = re.compile(
    r"\b[Cc]hapters?\s+(\d{1,2})\b((?:\s*(?:,|-|–|and|or|to|through)\s*\d{1,2}\b)*)|\bch(\d{2})\b")
SECTION_RE = re.compile(r"\b[Ss]ections?\s+(\d{1,2})(?:\.\d+)?\b((?:\s*(?:,|-|–|and|or|to)\s*\d{1,2}\b)*)")


def _expand(first: str, rest: str) -> list[int]:
    nums = [int(first)]
    for sep, n in re.findall(r"\s*(,|-|–|and|or|to|through)\s*(\d{1,2})", rest or ""):
        n = int(n)
        nums += list(range(nums[-1] + 1, n + 1)) if sep in ("-", "–", "to", "through") else [n]
    return nums


def chapter_refs(text: str) -> list[tuple[str, int]]:
    out = []
    for m in CHAPTER_RE.finditer(text):
        if m.group(3):
            out.append((m.group(0), int(m.group(3))))
        else:
            out += [(m.group(0), n) for n in _expand(m.group(1), m.group(2))]
    return out


def numbered_sections(nb: dict) -> set[int]:
    found = set()
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            found |= {int(n) for n in re.findall(r"(?m)^##\s+(\d+)\.", _src(cell))}
    return found


# ---------------------------------------------------------------------------------------------------------------
# the check


def check_notebook(nb: dict | str | Path, *, name: str | None = None, results: list[dict] | None = None,
                   chapters: dict[int, dict] | None = None, gpu_estimates: dict | None = None,
                   link_exists: Callable[[str], bool] | None = None) -> list[Finding]:
    """Findings for one notebook.

    ``results``: rows of results.csv; ``chapters``: {chapter number: notebook dict} of the course (for chapter and
    cross-chapter section references); ``gpu_estimates``: results/gpu_estimates.json; ``link_exists(rel)``: whether
    a path relative to the notebook's folder exists (default: the file system, from chapters/).
    """
    path = None
    if not isinstance(nb, dict):
        path = Path(nb)
        name = name or path.name
        nb = json.loads(path.read_text(encoding="utf-8"))
    name = name or "notebook"
    m = re.match(r"(\d\d)_", Path(name).name)
    chapter = m.group(1) if m else None
    chapters = chapters if chapters is not None else {}
    if link_exists is None:
        base = path.parent if path else ROOT / "chapters"
        link_exists = lambda rel: (base / rel).exists()  # noqa: E731
    near = chapter_sources(nb, chapter, results, gpu_estimates)
    outputs = cell_output_sources(nb)
    everywhere = near
    for cell_src in outputs.values():
        everywhere = everywhere + cell_src
    headings = heading_cells(nb)
    own_sections = numbered_sections(nb)
    findings: list[Finding] = []

    def add(i, kind, quoted, msg, sentence="", where="markdown"):
        findings.append(Finding(name, i, kind, quoted, msg, sentence, where))

    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            for t in output_texts(cell):
                for ref, n in chapter_refs(t):
                    if n not in chapters:
                        line = next((l.strip() for l in t.splitlines() if ref in l), "")
                        add(i, "chapter", ref, f"there is no chapter {n:02d} in chapters/", line[:300], "output")
            continue
        if cell["cell_type"] != "markdown":
            continue
        raw = _src(cell)
        # links (before cleaning removes them)
        for lm in list(LINK_RE.finditer(raw)) + list(HTML_LINK_RE.finditer(raw)):
            target = lm.group(3) if lm.re is LINK_RE else lm.group(1)
            if re.match(r"[a-z][\w+.-]*:|#|//", target, re.I):
                continue
            rel = target.split("#")[0].split("?")[0]
            if rel and not link_exists(rel):
                add(i, "link", target, "the linked file does not exist", lm.group(0)[:200])
        local = near
        for j in window(i, headings, len(nb["cells"])):
            if j in outputs:
                local = local + outputs[j]
        for para in _raw_paragraphs(raw):
            exempt = MARKER in para
            for block in paragraphs(clean_markdown(para)):
                heading = block.startswith("#")
                sents = sentences(block.lstrip("#").strip())
                about_a_work = bool(sents) and bool(CITATION_RE.search(sents[0]))  # the block opens with a citation
                for sentence in sents:
                    _check_refs(sentence, i, own_sections, chapters, add)
                    if exempt or heading or about_a_work or CITATION_RE.search(sentence):
                        continue
                    text = unquoted(sentence)
                    handled = _check_arithmetic(text, i, sentence, add)
                    for claim in find_claims(text):
                        if claim.start in handled:
                            continue
                        if claim.compound and re.search(r"\b(?:a|an)\s*$", sentence[:claim.start], re.I):
                            continue  # "a 15-minute budget", "a 1-point difference": a kind of thing, not a value
                        # A number with few significant digits matches something somewhere by chance: it must be
                        # printed near it (its section), recorded in the results store, or a setting in the code.
                        src = everywhere if claim.significant >= 3 else local
                        if not supported(claim, src):
                            add(i, "number", claim.text, _why(claim, src is local), sentence)
    return findings


def _check_arithmetic(text: str, i: int, sentence: str, add) -> set[int]:
    """Check every "<formula> = <number>" of the sentence; returns the start offsets of the numbers it checked."""
    handled = set()
    for m in re.finditer(rf"(?<![\w.,])({NUM})(?:([kMB])(?=\b|-))?", text):
        value = arithmetic(text[:m.start()])
        if value is None:
            continue
        handled.add(m.start())
        written, unit = _to_float(m.group(1)), 10.0 ** -_decimals(m.group(1))
        value /= {"k": 1e3, "M": 1e6, "B": 1e9}.get(m.group(2) or "", 1.0)
        if abs(value - written) > 0.5 * unit + 1e-9 * max(1.0, abs(written)):
            add(i, "arithmetic", m.group(0), f"the formula before it gives {value:.6g}", sentence)
    return handled


def _why(claim: Claim, local: bool) -> str:
    what = {"percent": "percentage", "points": "difference in points", "decimal": "number", "time": "time",
            "count": "count"}[claim.kind]
    outputs = "the outputs of its section" if local else "the notebook's outputs"
    where = (f"the measured run time, results.csv seconds, gpu_estimates.json or a time printed in {outputs}"
             if claim.kind == "time" else f"results.csv (this or an earlier chapter) or {outputs}")
    code = "" if claim.word or claim.kind in ("points", "time", "count") else ", nor in the notebook's code"
    return f"{what} not found in {where} at this precision{code}"


def _check_refs(sentence, i, own_sections, chapters, add):
    for ref, n in chapter_refs(sentence):
        if n not in chapters:
            add(i, "chapter", ref, f"there is no chapter {n:02d} in chapters/", sentence)
    for m in SECTION_RE.finditer(sentence):
        before, after = sentence[:m.start()], sentence[m.end():]
        other = re.search(r"\b[Cc]hapter\s+(\d{1,2})'s\s*$", before) or re.match(r"\s+of\s+chapter\s+(\d{1,2})\b",
                                                                                   after, re.I)
        if other:
            n = int(other.group(1))
            if n not in chapters:
                continue  # reported as a chapter reference
            target, what = numbered_sections(chapters[n]), f"chapter {n:02d}"
        else:
            target, what = own_sections, "this notebook"
        if not target:
            continue  # that notebook does not number its sections
        for s in _expand(m.group(1), m.group(2)):
            if s not in target:
                add(i, "section", m.group(0), f"{what} has no '## {s}.' heading (it has {sorted(target)})", sentence)


def course_notebooks(root: Path = ROOT) -> list[Path]:
    return sorted((root / "chapters").glob("[0-9][0-9]_*.ipynb"))


def check_course(root: Path = ROOT, notebooks: Iterable[Path] | None = None) -> list[Finding]:
    """Every chapter notebook against the committed results/results.csv and results/gpu_estimates.json."""
    all_nbs = {int(p.name[:2]): json.loads(p.read_text(encoding="utf-8")) for p in course_notebooks(root)}
    results = load_results(root / "results" / "results.csv") if (root / "results" / "results.csv").exists() else []
    est_path = root / "results" / "gpu_estimates.json"
    est = json.loads(est_path.read_text()) if est_path.exists() else None
    findings = []
    for p in notebooks if notebooks is not None else course_notebooks(root):
        p = Path(p)
        nb = json.loads(p.read_text(encoding="utf-8"))
        findings += check_notebook(nb, name=f"{p.parent.name}/{p.name}", results=results, chapters=all_nbs,
                                   gpu_estimates=est, link_exists=lambda rel, base=p.parent: (base / rel).exists())
    return findings


def _git(root: Path, *args: str) -> str:
    import subprocess

    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True).stdout


def check_commit(commit: str, root: Path = ROOT, only: Iterable[str] | None = None) -> list[Finding]:
    """The same check on the notebooks, results store and estimates of an earlier commit (read with git)."""
    files = set(_git(root, "ls-tree", "-r", "--name-only", commit).splitlines())
    folders = {str(Path(f).parent) for f in files} | {str(p) for f in files for p in Path(f).parents}
    names = sorted(f for f in files if re.fullmatch(r"chapters/\d\d_[^/]+\.ipynb", f))
    nbs = {int(Path(f).name[:2]): json.loads(_git(root, "show", f"{commit}:{f}")) for f in names}
    results = load_results(_git(root, "show", f"{commit}:results/results.csv")) \
        if "results/results.csv" in files else []
    est = json.loads(_git(root, "show", f"{commit}:results/gpu_estimates.json")) \
        if "results/gpu_estimates.json" in files else None

    def exists(rel: str) -> bool:
        import posixpath

        target = posixpath.normpath(posixpath.join("chapters", rel.rstrip("/")))
        return target in files or target in folders

    findings = []
    for f in names:
        if only and not any(o in f for o in only):
            continue
        findings += check_notebook(nbs[int(Path(f).name[:2])], name=f"{commit}:{f}", results=results, chapters=nbs,
                                   gpu_estimates=est, link_exists=exists)
    return findings


def main(argv: list[str]) -> int:
    commit = None
    if "--at" in argv:  # python scripts/markdown_numbers.py --at 91e72a2 [03_bert] : an earlier commit, from git
        k = argv.index("--at")
        commit, argv = argv[k + 1], argv[:k] + argv[k + 2:]
    paths = [a for a in argv if not a.startswith("-")]
    if commit:
        findings = check_commit(commit, ROOT, paths or None)
    else:
        findings = check_course(ROOT, [Path(p) for p in paths] or None)
    for f in findings:
        print(f)
    print(f"{len(findings)} finding(s)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
