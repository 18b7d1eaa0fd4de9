"""Real-browser test of chapter 03's attention views (headless Chromium driven by Playwright).

The committed, executed notebook is exported to HTML (nbconvert, lab template) and opened in Chromium:
- with the CDN requests for require.js / d3 / jQuery answered from local copies (fetched once from the npm
  registry into the git-ignored tests/.browser/js): the static attention figures are visible AND bertviz draws
  its SVG, and the "view needs internet" note is hidden;
- with every network request blocked (a learner offline): the static figures are still visible and the note
  explaining the blank bertviz view is shown.

Skips, with the reason, where Chromium, Playwright or the npm registry is not available. CI (.ci/run) installs
Debian's chromium and pip's playwright (the Python driver only: no browser download).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = Path(os.environ.get("CH03_NOTEBOOK", ROOT / "chapters" / "03_bert_theory.ipynb"))  # override: another executed copy
ASSETS_DIR = ROOT / "tests" / ".browser" / "js"





@pytest.fixture(scope="module")
def assets() -> dict:
    from course_utils.attention_viz import fetch_bertviz_assets

    try:
        return fetch_bertviz_assets(ASSETS_DIR)
    except OSError as exc:
        pytest.skip(f"could not fetch require.js/d3/jQuery from the npm registry ({exc}); they are needed to serve the CDN")


@pytest.fixture(scope="module")
def notebook_html(tmp_path_factory) -> Path:
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(NOTEBOOK, as_version=4)
    tagged = [c for c in nb.cells if "attention-static" in c.get("metadata", {}).get("tags", [])]
    assert tagged, "the notebook lost its cell tagged 'attention-static' (the static attention figure)"
    assert any(o.get("data", {}).get("image/png") for c in tagged for o in c.get("outputs", [])), \
        "the committed notebook has no static attention figure output: execute it (scripts/execute_notebooks.sh)"
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    path = tmp_path_factory.mktemp("html") / "03_bert_theory.html"
    path.write_text(body, encoding="utf-8")
    return path


def _asset_for(url: str) -> str | None:
    """Which local script answers a CDN URL (any version of require.js, d3 or jQuery)."""
    name = url.rsplit("/", 1)[-1].split("?")[0]
    if re.fullmatch(r"require(\.min)?\.js", name):
        return "require"
    if re.fullmatch(r"d3(\.v\d+)?(\.min)?\.js", name):
        return "d3"
    if re.fullmatch(r"jquery(-[\d.]+)?(\.min)?\.js", name):
        return "jquery"
    return None


def _open(browser, html: Path, assets: dict | None):
    """A page showing ``html``. With ``assets``, CDN script requests are served locally; all other network is blocked."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def handle(route):
        url = route.request.url
        if url.startswith("file:") or url.startswith("data:"):
            return route.continue_()
        name = _asset_for(url) if assets else None
        if name:
            return route.fulfill(status=200, content_type="application/javascript",
                                 body=Path(assets[name]).read_text(encoding="utf-8"))
        return route.abort()  # no internet in the test: fonts, MathJax, anything else

    page.route("**/*", handle)
    page.goto(html.as_uri(), wait_until="load")
    return page, errors


def _assert_static_figure_visible(page) -> None:
    img = page.locator(".celltag_attention-static img").first
    img.scroll_into_view_if_needed()
    assert img.is_visible(), "the static attention figure is not visible"
    width = page.evaluate("(el) => el.naturalWidth", img.element_handle())
    box = img.bounding_box()
    assert width > 100 and box and box["width"] > 100 and box["height"] > 100, \
        f"the static attention figure did not render (naturalWidth {width}, box {box})"


def test_attention_views_render_with_scripts_served_locally(browser, assets, notebook_html):
    page, errors = _open(browser, notebook_html, assets)
    try:
        _assert_static_figure_visible(page)
        view = page.locator(".celltag_bertviz-head .bertviz-head-view")
        assert view.count() == 1, "no bertviz head view in the exported page"
        # bertviz draws one SVG with a text element per token on each side once require.js, d3 and jQuery load
        page.wait_for_function(
            "() => document.querySelectorAll('.celltag_bertviz-head .bertviz-head-view svg text').length > 4",
            timeout=20_000)
        svg = view.locator("svg").first
        svg.scroll_into_view_if_needed()
        assert svg.is_visible()
        box = svg.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, f"the bertviz SVG is empty: {box}"
        assert not page.locator(".celltag_bertviz-head .bertviz-offline-note").is_visible(), \
            "the 'needs internet' note should hide once the scripts have loaded"
        page.wait_for_function(
            "() => document.querySelectorAll('.celltag_bertviz-model .bertviz-model-view svg').length > 0",
            timeout=20_000)
        bad = [e for e in errors if "bertviz" in e.lower() or "d3" in e or "require" in e.lower()]
        assert not bad, f"JavaScript errors in the page: {bad}"
    finally:
        page.close()


def test_offline_page_keeps_static_figure_and_explains_blank_bertviz(browser, notebook_html):
    page, _ = _open(browser, notebook_html, assets=None)  # every network request blocked
    try:
        _assert_static_figure_visible(page)
        page.wait_for_timeout(1500)
        note = page.locator(".celltag_bertviz-head .bertviz-offline-note")
        assert note.count() == 1 and note.is_visible(), "offline, the note explaining the blank bertviz view must show"
        assert page.locator(".celltag_bertviz-head .bertviz-head-view svg").count() == 0, \
            "offline there is no d3: bertviz cannot have drawn (is the test really offline?)"
    finally:
        page.close()
