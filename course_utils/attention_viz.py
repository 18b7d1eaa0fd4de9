"""Attention views that render everywhere (chapter 03).

- ``plot_attention_heads`` / ``plot_attention_layers``: static matplotlib heatmaps. They are plain PNG images
  in the notebook, so they show on GitHub, in an HTML export, offline, in any front end.
- ``bertviz_html`` / ``show_bertviz``: bertviz's interactive head/model views. bertviz loads require.js, d3 and
  jQuery from cdnjs.cloudflare.com, so offline (or where the front end runs no JavaScript) the view stays blank.
  Our wrapper adds a visible note that is hidden once the scripts load, and, with ``inline=True``, puts local
  copies of the three scripts (``fetch_bertviz_assets``, from the npm registry) into the page so the view also
  works with no network.
- ``show_bertviz_libraries`` + ``inline="page"``: for a notebook with several views, put the three scripts (~400 KB)
  into ONE cell's output and let every view use them, instead of storing a copy in each view's output.

Attention shapes, as ``transformers`` returns them with ``output_attentions=True``: a tuple of ``num_layers``
tensors, each ``(batch=1, num_heads, seq_len, seq_len)``; row i = how query token i spreads its attention.
"""
from __future__ import annotations

import hashlib
import html as html_lib
import io
import os
import re
import tarfile
import urllib.request
import uuid
from pathlib import Path
from typing import Sequence

import numpy as np

__all__ = [
    "BERTVIZ_ASSETS", "attention_array", "plot_attention_heads", "plot_attention_layers", "fetch_bertviz_assets",
    "find_bertviz_assets", "bertviz_html", "show_bertviz", "AssetIntegrityError", "read_bertviz_asset",
    "bertviz_libraries_html", "show_bertviz_libraries",
]

# The three scripts bertviz asks for: npm tarball, file inside it, sha256 of that file, and the CDN URL bertviz
# uses (jQuery: bertviz names 2.0.0; 2.2.4 is the last 2.x release and serves the same API).
BERTVIZ_ASSETS: dict[str, dict[str, str]] = {
    "require": {
        "tarball": "https://registry.npmjs.org/requirejs/-/requirejs-2.3.6.tgz",
        "member": "package/require.js",
        "file": "require.js",
        "sha256": "9485f0917f97fcf4f63a5ea365200ffd57f123f451382a2f9a1ad2e2fd51ac9b",
        "cdn": "https://cdnjs.cloudflare.com/ajax/libs/require.js/2.3.6/require.min.js",
    },
    "d3": {
        "tarball": "https://registry.npmjs.org/d3/-/d3-5.7.0.tgz",
        "member": "package/dist/d3.min.js",
        "file": "d3.min.js",
        "sha256": "bdad5585ef9a965ff25458738309b006058c55f2c78d794d25fbecae35014609",
        "cdn": "https://cdnjs.cloudflare.com/ajax/libs/d3/5.7.0/d3.min.js",
    },
    "jquery": {
        "tarball": "https://registry.npmjs.org/jquery/-/jquery-2.2.4.tgz",
        "member": "package/dist/jquery.min.js",
        "file": "jquery.min.js",
        "sha256": "05b85d96f41fff14d8f608dad03ab71e2c1017c2da0914d7c59291bad7a54f8e",
        "cdn": "https://cdnjs.cloudflare.com/ajax/libs/jquery/2.0.0/jquery.min.js",
    },
}
ASSETS_ENV = "BERTVIZ_JS_DIR"
_CDN_NOTE = ("This interactive view loads require.js, d3 and jQuery from cdnjs.cloudflare.com. If you can read this "
             "line, they did not load (no internet, or a viewer that runs no JavaScript, such as GitHub): use the "
             "static heatmaps instead, or run attention_viz.fetch_bertviz_assets() once while online and call "
             "show_bertviz(..., inline=True).")
_PAGE_NOTE = ("This interactive view uses the copies of require.js, d3 and jQuery that "
              "attention_viz.show_bertviz_libraries() puts on the page. If you can read this line, they are not there: "
              "run that cell above the views (or use the static heatmaps).")


def attention_array(attentions, batch_index: int = 0) -> np.ndarray:
    """``transformers`` attentions -> numpy (num_layers, num_heads, seq_len, seq_len) for one example.

    Accepts a tuple/list of (batch, heads, seq, seq) tensors (one per layer) or an array of that 4-D/5-D shape.
    """
    if isinstance(attentions, (list, tuple)):
        if not attentions:
            raise ValueError("attentions is empty: pass output_attentions=True (and attn_implementation='eager')")
        layers = [np.asarray(a.detach().float().cpu() if hasattr(a, "detach") else a) for a in attentions]
        arr = np.stack(layers)  # (layers, batch, heads, seq, seq)
    else:
        arr = np.asarray(attentions.detach().float().cpu() if hasattr(attentions, "detach") else attentions)
    if arr.ndim == 5:
        if not 0 <= batch_index < arr.shape[1]:
            raise ValueError(f"batch_index {batch_index} out of range for a batch of {arr.shape[1]}")
        arr = arr[:, batch_index]
    if arr.ndim != 4 or arr.shape[-1] != arr.shape[-2]:
        raise ValueError(f"attentions: expected (num_layers, [batch,] num_heads, seq_len, seq_len), got {arr.shape}")
    return arr


def _check_tokens(arr: np.ndarray, tokens: Sequence[str]) -> None:
    if len(tokens) != arr.shape[-1]:
        raise ValueError(f"tokens has {len(tokens)} entries but the attention covers {arr.shape[-1]} positions")


def _heatmap(ax, matrix: np.ndarray, tokens: Sequence[str], title: str, labels: bool) -> object:
    im = ax.imshow(matrix, cmap="Blues", vmin=0.0, vmax=1.0)
    if labels:
        ax.set_xticks(range(len(tokens)), tokens, rotation=90, fontsize=7)
        ax.set_yticks(range(len(tokens)), tokens, fontsize=7)
    else:
        ax.set_xticks([])
        ax.set_yticks([])
    ax.set_title(title, fontsize=9)
    return im


def plot_attention_heads(attentions, tokens: Sequence[str], layer: int = 0, heads: Sequence[int] | None = None,
                         ncols: int = 4, title: str = ""):
    """One heatmap per head of ``layer`` (rows = queries, columns = keys, colour = weight 0..1). Returns the figure."""
    import matplotlib.pyplot as plt

    arr = attention_array(attentions)
    _check_tokens(arr, tokens)
    if not 0 <= layer < arr.shape[0]:
        raise ValueError(f"layer must be in [0, {arr.shape[0] - 1}], got {layer}")
    heads = list(range(arr.shape[1])) if heads is None else list(heads)
    if not heads or any(not 0 <= h < arr.shape[1] for h in heads):
        raise ValueError(f"heads must be indices in [0, {arr.shape[1] - 1}], got {heads}")
    ncols = max(1, min(ncols, len(heads)))
    nrows = -(-len(heads) // ncols)
    size = 1.6 + 0.16 * len(tokens)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax in axes.flat[len(heads):]:
        ax.axis("off")
    for ax, h in zip(axes.flat, heads):
        im = _heatmap(ax, arr[layer, h], tokens, f"layer {layer}, head {h}", labels=True)
    fig.colorbar(im, ax=axes, fraction=0.02, label="attention weight")
    fig.suptitle(title or f"attention of every head in layer {layer} (row = query token, column = key token)")
    return fig


def plot_attention_layers(attentions, tokens: Sequence[str], title: str = ""):
    """One heatmap per layer, averaged over its heads: how attention changes with depth. Returns the figure."""
    import matplotlib.pyplot as plt

    arr = attention_array(attentions)
    _check_tokens(arr, tokens)
    n = arr.shape[0]
    ncols = min(n, 6)
    nrows = -(-n // ncols)
    size = 1.4 + 0.13 * len(tokens)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.6), squeeze=False)
    for ax in axes.flat[n:]:
        ax.axis("off")
    for layer, ax in enumerate(axes.flat[:n]):
        im = _heatmap(ax, arr[layer].mean(axis=0), tokens, f"layer {layer} (mean of heads)", labels=layer % ncols == 0)
    fig.colorbar(im, ax=axes, fraction=0.02, label="attention weight")
    fig.suptitle(title or "attention averaged over heads, layer by layer")
    return fig


def _repo_assets_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "tests" / ".browser" / "js"


def fetch_bertviz_assets(dest: str | os.PathLike | None = None, timeout: float = 30.0) -> dict[str, Path]:
    """Download require.js 2.3.6, d3 5.7.0 and jQuery 2.2.4 from the npm registry into ``dest``.

    ``dest`` defaults to ``$BERTVIZ_JS_DIR`` or ``tests/.browser/js`` in the repository (git-ignored). Files already
    there are reused. Returns {"require"|"d3"|"jquery": path}. Raises ``OSError`` when the registry is unreachable.
    """
    folder = Path(dest or os.environ.get(ASSETS_ENV) or _repo_assets_dir())
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, spec in BERTVIZ_ASSETS.items():
        path = folder / spec["file"]
        if not path.is_file() or _sha256(path.read_bytes()) != spec["sha256"]:
            with urllib.request.urlopen(spec["tarball"], timeout=timeout) as resp:  # noqa: S310 (https, fixed URL)
                data = resp.read()
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
                member = tar.extractfile(spec["member"])
                if member is None:
                    raise OSError(f"{spec['member']} missing from {spec['tarball']}")
                content = member.read()
            if _sha256(content) != spec["sha256"]:
                raise AssetIntegrityError(f"{spec['file']} from {spec['tarball']} has sha256 {_sha256(content)}, "
                                          f"not the pinned {spec['sha256']}: refusing to save it")
            path.write_bytes(content)
        paths[name] = path
    return paths


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class AssetIntegrityError(ValueError):
    """A local copy of require.js, d3 or jQuery is not the exact file whose sha256 is pinned in ``BERTVIZ_ASSETS``."""


def read_bertviz_asset(name: str, path: str | os.PathLike) -> str:
    """The text of the local copy ``path`` of asset ``name`` ("require", "d3", "jquery"), checked against its pinned
    sha256 on every read (the file is put into the page as JavaScript, so a changed file must never run).

    Raises ``AssetIntegrityError`` on a mismatch. The bytes that are hashed are the bytes that are returned.
    """
    spec = BERTVIZ_ASSETS[name]
    data = Path(path).read_bytes()
    digest = _sha256(data)
    if digest != spec["sha256"]:
        version = spec["tarball"].rsplit("-", 1)[-1].removesuffix(".tgz")
        raise AssetIntegrityError(
            f"{spec['file']} in {Path(path).parent} is not the file the course pins: its sha256 is {digest}, "
            f"expected {spec['sha256']} ({name} {version} from the npm registry). It was changed or is another "
            f"version; it is not put into the page. Delete it and run attention_viz.fetch_bertviz_assets() again "
            f"(or use inline=False)."
        )
    return data.decode("utf-8")


def find_bertviz_assets(folder: str | os.PathLike | None = None) -> dict[str, Path] | None:
    """The local copies of the three scripts in ``folder`` (default: ``$BERTVIZ_JS_DIR``, then
    ``tests/.browser/js``), or ``None`` when any is missing."""
    candidates = [Path(folder)] if folder else [Path(p) for p in (os.environ.get(ASSETS_ENV),) if p] + [_repo_assets_dir()]
    for cand in candidates:
        paths = {name: cand / spec["file"] for name, spec in BERTVIZ_ASSETS.items()}
        if all(p.is_file() for p in paths.values()):
            return paths
    return None


def _inline_loader(paths: dict[str, Path]) -> str:
    """<script>s that define jquery and d3 as require.js modules from local copies (no network needed).

    Each file is checked against its pinned sha256 as it is read (``read_bertviz_asset``).
    d3 and jQuery run with ``define`` hidden, so they set window.d3 / window.jQuery instead of registering anonymous
    AMD modules; then require.js (a no-op where the front end already has one) and two named modules.
    """
    def hidden_amd(src: str) -> str:
        return "(function (define, module, exports) {\n" + src + "\n}).call(window);"

    text = {name: read_bertviz_asset(name, p).replace("</script", "<\\/script") for name, p in paths.items()}
    return (
        f"<script>{hidden_amd(text['jquery'])}</script>\n"
        f"<script>{hidden_amd(text['d3'])}</script>\n"
        f"<script>{text['require']}</script>\n"
        "<script>define('jquery', [], function () { return window.jQuery; });"
        "define('d3', [], function () { return window.d3; });</script>\n"
    )


def bertviz_html(attentions, tokens: Sequence[str], view: str = "head", sentence_b_start: int | None = None,
                 inline: bool | str | os.PathLike = False, layer: int | None = None,
                 include_layers: Sequence[int] | None = None) -> str:
    """HTML for a bertviz ``view`` ("head" or "model") of ``attentions`` (see module docstring) over ``tokens``.

    ``inline=False``: the scripts come from the CDN, as in bertviz. ``inline=True`` (or a folder): they are put into
    the page from local copies (``fetch_bertviz_assets``), so the view works offline. ``inline="page"``: the view
    loads no script and uses the ones an earlier output put on the page (``show_bertviz_libraries``), so a notebook
    with several views stores the scripts once. Either way a note explains a blank view; it is hidden as soon as
    the scripts load. ``include_layers`` (indices) keeps the page smaller.
    """
    import torch
    from bertviz import head_view, model_view

    if view not in ("head", "model"):
        raise ValueError(f"view must be 'head' or 'model', got {view!r}")
    arr = attention_array(attentions)
    _check_tokens(arr, tokens)
    # bertviz wants (1, heads, seq, seq) per layer; 3 decimals keep the page small (float64 prints them short)
    layers = [torch.from_numpy(np.round(a.astype(np.float64), 3)[None]) for a in arr]
    fn = head_view if view == "head" else model_view
    kwargs = {"layer": layer} if view == "head" and layer is not None else {}
    if include_layers is not None:
        include_layers = [int(i) for i in include_layers]
        if not include_layers or any(not 0 <= i < arr.shape[0] for i in include_layers):
            raise ValueError(f"include_layers must be layer indices in [0, {arr.shape[0] - 1}], got {include_layers}")
        if layer is not None and layer not in include_layers:
            raise ValueError(f"layer {layer} is not in include_layers {include_layers}")
        kwargs["include_layers"] = include_layers
    body = fn(layers, list(tokens), sentence_b_start=sentence_b_start, html_action="return", **kwargs).data
    # bertviz's JS has the marker PYTHON_PARAMS in a comment too, so the page would carry the attention twice
    body = re.sub(r"// HACK: \{.*?\} is a template marker", "// HACK: params is a template marker", body, count=1)
    cdn_tag = f'<script src="{BERTVIZ_ASSETS["require"]["cdn"]}"></script>'
    if isinstance(inline, str) and inline == "page":  # the scripts are already on the page: load nothing here
        body = body.replace(cdn_tag, "")
    elif inline:
        paths = find_bertviz_assets(None if inline is True else inline)
        if paths is None:
            raise ValueError("inline=True needs local copies of require.js, d3 and jQuery: run "
                             "attention_viz.fetch_bertviz_assets() once while online (or pass inline=False)")
        body = body.replace(cdn_tag, _inline_loader(paths))
    note_id = f"bertviz-note-{uuid.uuid4().hex[:8]}"
    note = (f'<div id="{note_id}" class="bertviz-offline-note" style="color:#a15c00;font-size:12px;margin:4px 0">'
            f"{html_lib.escape(_PAGE_NOTE if inline == 'page' else _CDN_NOTE)}</div>")
    detect = (
        "<script>(function () {"
        f"var note = document.getElementById('{note_id}');"
        "if (typeof window.requirejs !== 'function') { return; }"
        "window.requirejs(['jquery', 'd3'], function () { note.style.display = 'none'; }, function () {});"
        "})();</script>"
    )
    return f'<div class="bertviz-{view}-view">{note}{body}{detect}</div>'


def bertviz_libraries_html(folder: str | os.PathLike | None = None) -> str:
    """HTML that puts local copies of require.js, d3 and jQuery (``fetch_bertviz_assets``) on the page once, for
    the views shown after it with ``inline="page"``. Each file is checked against its pinned sha256 as it is read."""
    paths = find_bertviz_assets(folder)
    if paths is None:
        raise ValueError("bertviz_libraries_html needs local copies of require.js, d3 and jQuery: run "
                         "attention_viz.fetch_bertviz_assets() once while online")
    return f'<div class="bertviz-libraries" style="display:none">{_inline_loader(paths)}</div>'


def show_bertviz_libraries(folder: str | os.PathLike | None = None) -> None:
    """Display ``bertviz_libraries_html`` in one cell; then ``show_bertviz(..., inline="page")`` in later cells."""
    from IPython.display import HTML, display

    display(HTML(bertviz_libraries_html(folder)))
    print("require.js, d3 and jQuery are on the page (from local copies): show views with inline=\"page\"")


def show_bertviz(attentions, tokens: Sequence[str], view: str = "head", sentence_b_start: int | None = None,
                 inline: bool | str | os.PathLike = False, layer: int | None = None,
                 include_layers: Sequence[int] | None = None) -> None:
    """Display ``bertviz_html`` in the notebook (scripts from the CDN unless ``inline``; see ``bertviz_html``)."""
    from IPython.display import HTML, display

    display(HTML(bertviz_html(attentions, tokens, view, sentence_b_start, inline=inline, layer=layer,
                              include_layers=include_layers)))
    if not inline:
        print(f"bertviz {view} view: scripts from the CDN (needs internet in the browser). Blank view? Use the static "
              "heatmaps, or fetch_bertviz_assets() once online, then show_bertviz_libraries() in one cell and "
              "show_bertviz(..., inline=\"page\") for every view.")
