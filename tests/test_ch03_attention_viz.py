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


def test_bertviz_html_inline_uses_local_scripts(tmp_path):
    for spec in av.BERTVIZ_ASSETS.values():
        (tmp_path / spec["file"]).write_text(f"/* local {spec['file']} */")
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
