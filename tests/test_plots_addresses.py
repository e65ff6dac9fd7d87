"""Tests for loopedu.plots.ipv4_map and the shared style helpers, through the data of the
Figure (patch colours, texts, legend), not pixels."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from loopedu import plots  # noqa: E402


@pytest.fixture(scope="module")
def fig():
    return plots.ipv4_map()


def by_gid(fig, kind):
    ax = fig.axes[0]
    artists = ax.patches if kind in ("cell", "hatch") else ax.texts
    return {int(a.get_gid().split("-")[1]): a for a in artists
            if (a.get_gid() or "").startswith(kind + "-")}


def test_returns_a_plain_figure_without_pyplot():
    code = ("import matplotlib; from loopedu import plots; f = plots.ipv4_map(); "
            "import sys; from matplotlib.figure import Figure; "
            "print(isinstance(f, Figure), 'matplotlib.pyplot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(plots.__file__).resolve().parents[2],
                         env=dict(os.environ, MPLBACKEND="Agg")).stdout
    assert out.split() == ["True", "False"]


def test_grid_has_256_cells_16_by_16(fig):
    cells = by_gid(fig, "cell")
    assert sorted(cells) == list(range(256))
    # Row r (from the top) holds first octets 16r .. 16r+15.
    for octet, patch in cells.items():
        assert patch.get_xy() == (octet % 16, 15 - octet // 16)
        assert (patch.get_width(), patch.get_height()) == (1, 1)


def test_127_cell_is_loopback_coloured_outlined_and_labelled(fig):
    cell = by_gid(fig, "cell")[127]
    assert cell.get_xy() == (15, 8)  # 127 = 7 * 16 + 15: row 7 from the top, last column
    assert cell.get_facecolor() == to_rgba(plots.OKABE_ITO["vermillion"])
    assert cell.get_facecolor() == to_rgba(plots.CATEGORY_COLOURS["loopback"])
    assert cell.get_linewidth() > max(by_gid(fig, "cell")[n].get_linewidth() for n in (126, 128))
    assert by_gid(fig, "label").get(127).get_text() == "127\nloopback"


def test_other_special_blocks_are_marked(fig):
    cells, hatches = by_gid(fig, "cell"), by_gid(fig, "hatch")
    colour = {octet: cells[octet].get_facecolor() for octet in cells}
    assert colour[10] == colour[172] == colour[192] == to_rgba(plots.CATEGORY_COLOURS["private"])
    assert all(colour[n] == to_rgba(plots.CATEGORY_COLOURS["multicast"]) for n in range(224, 240))
    assert all(colour[n] == to_rgba(plots.CATEGORY_COLOURS["reserved"]) for n in range(240, 256))
    assert colour[0] == to_rgba(plots.CATEGORY_COLOURS["this network"])
    assert colour[8] == to_rgba(plots.NOT_SPECIAL)
    # Only part of 100/8, 169/8, 172/8, 192/8, 198/8 and 203/8 is special: those are hatched.
    assert sorted(hatches) == [100, 169, 172, 192, 198, 203]
    assert all(h.get_hatch() == plots.PARTIAL_HATCH for h in hatches.values())


def test_every_cell_shows_its_first_octet(fig):
    labels = by_gid(fig, "label")
    assert all(labels[n].get_text().split("\n")[0] == str(n) for n in range(256))


def test_legend_labels(fig):
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[0] == "loopback"
    for category in ("this network", "private", "shared", "link-local", "documentation",
                     "benchmarking", "multicast", "reserved"):
        assert category in labels
    assert "hatched: only part of the /8 is special" in labels and labels[-1] == "not special"


def test_axes_are_labelled(fig):
    ax = fig.axes[0]
    assert ax.get_xlabel() and ax.get_ylabel() and "/8" in ax.get_title()
    assert [t.get_text() for t in ax.get_yticklabels()][:3] == ["0", "16", "32"]


def test_annotation_gives_the_size_of_127_8(fig):
    (note,) = [t for t in fig.axes[0].texts if "addresses" in t.get_text()]
    text = note.get_text()
    assert "16,777,216" in text and "2^24" in text and "1/256" in text


def test_alt_text_is_one_line_and_saved_as_metadata(fig):
    assert "\n" not in fig.alt_text
    for fact in ("256 IPv4 /8 blocks", "127.0.0.0/8", "loopback", "16,777,216", "1/256"):
        assert fact in fig.alt_text
    assert fig.savefig_metadata["png"]["Description"] == fig.alt_text


def test_shows_itself_in_jupyter_as_a_figure_with_alt_text(fig):
    import base64
    import html
    import re

    bundle = fig._repr_mimebundle_()
    assert bundle["text/plain"] == fig.alt_text and "image/png" not in bundle
    img = re.search(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]*)"', bundle["text/html"])
    assert base64.b64decode(img.group(1)).startswith(b"\x89PNG")
    assert html.unescape(img.group(2)) == fig.alt_text


def test_palette_is_okabe_ito_and_distinct():
    colours = list(plots.CATEGORY_COLOURS.values())
    assert len(set(colours)) == len(colours)
    okabe = set(plots.OKABE_ITO.values())
    assert {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
            "#000000"} == okabe
    assert sum(c in okabe for c in colours) == 8  # the rest are neutral greys


def test_highlight_another_block():
    other = plots.ipv4_map(highlight=10)
    assert by_gid(other, "label")[10].get_text() == "10\nprivate"
    assert "10.0.0.0/8" in other.alt_text
    with pytest.raises(ValueError, match="0 to 255"):
        plots.ipv4_map(highlight=256)


def test_text_colour_on():
    assert plots.text_colour_on(plots.OKABE_ITO["blue"]) == "white"
    assert plots.text_colour_on(plots.NOT_SPECIAL) == "black"


def test_set_alt_text_refuses_two_lines():
    with pytest.raises(ValueError, match="one line"):
        plots.set_alt_text(plots.new_figure(), "a\nb")
    assert isinstance(plots.new_figure(), Figure)
