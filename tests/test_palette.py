"""Every colour the app sets, against the background it is drawn on (WCAG 2.2 AA, issue #23): 4.5:1 for
text (1.4.3), 3:1 for the marks of a chart, a focus ring or a border that carries meaning (1.4.11), in
both of Streamlit's themes (its light white and its dark #0E1117: the app follows the reader's system),
and behind the time charts' session bands in either. And the charts' text alternative: their key
figures in words, from the frame they draw.

The colours come from where the app keeps them (the event file's group colours, the chart and network
constants, the stylesheets' constants), and a scan of the chart, page and stylesheet modules finds any
colour literal that is not among them: a new colour is checked, or this test fails.
"""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime

import pandas as pd
import pytest

from engagement.analysis import charts, display
from engagement.ui import hall, qa

from .helpers import ROOT

WHITE = "#ffffff"
HEX = re.compile(r"#[0-9A-Fa-f]{6}\b")


luminance, contrast = charts.luminance, charts.contrast


def test_the_contrast_formula_gives_wcags_reference_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic just-failing grey
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)


def group_colours() -> dict[str, str]:
    with (ROOT / "data" / "stakeholder_groups.csv").open(newline="", encoding="utf-8") as handle:
        return {row["label"]: row["colour"] for row in csv.DictReader(handle)}


# What each chart draws with, on the page's background (the plotly theme is transparent); a group's colour
# as the charts draw it (``charts.legible``: the event file's, or the nearest shade that stands out).
GRAPHICS = {
    **{f"group {label}": charts.legible(colour) for label, colour in group_colours().items()},
    **{f"kind {kind}": colour for kind, colour in charts.KIND_COLOURS.items()},
    **{f"measure {name}": colour for name, colour in charts.MEASURE_COLOURS.items()},
    **{f"heard {name}": colour for _, name, colour in charts.HEARD_MEASURES},
    **{f"voice gap {name}": colour for _, name, colour in charts.VOICE_GAP_MEASURES},
    **{f"layer {name}": colour for _, name, colour in charts.LAYER_MEASURES},
    **{f"network {name}": colour for name, colour in display.NETWORK_COLOURS.items()},
    "network (another)": display.network_colour("another"),
    "focus outline": "#1a5fb4",
}


THEMES = charts.BACKGROUNDS


def composite(colour: str, over: str, opacity: float) -> str:
    """``colour`` drawn at ``opacity`` over ``over``: what the reader sees."""
    mixed = [round(int(colour[i : i + 2], 16) * opacity + int(over[i : i + 2], 16) * (1 - opacity)) for i in (1, 3, 5)]
    return "#" + "".join(f"{c:02x}" for c in mixed)


@pytest.mark.parametrize("theme", sorted(THEMES))
@pytest.mark.parametrize("name", sorted(GRAPHICS))
def test_every_chart_colour_stands_out_from_the_page_in_either_theme(name, theme):
    ratio = contrast(GRAPHICS[name], THEMES[theme])
    assert ratio >= 3.0, f"{name} {GRAPHICS[name]} on {theme}: {ratio:.2f}:1"


# The time charts' marks: post kinds and networks, drawn over the session bands.
TIME_MARKS = {
    **{f"kind {kind}": colour for kind, colour in charts.KIND_COLOURS.items()},
    **{f"network {name}": colour for name, colour in display.NETWORK_COLOURS.items()},
    "network (another)": display.network_colour("another"),
}


@pytest.mark.parametrize("theme", sorted(THEMES))
@pytest.mark.parametrize("name", sorted(TIME_MARKS))
def test_the_time_charts_marks_stand_out_from_the_session_bands(name, theme):
    for opacity in charts.BAND_OPACITIES:
        band = composite(charts.BAND, THEMES[theme], opacity)
        assert contrast(TIME_MARKS[name], band) >= 3.0, f"{name} on {theme} band {band}"


def test_a_colour_too_dark_or_too_light_for_a_theme_is_drawn_in_a_shade_that_is_not():
    osce, unions = group_colours()["OSCE structures"], group_colours()["Trade unions and workers' organizations"]
    # The event file's two darkest groups fall under 3:1 on the dark background (1.55:1 and 2.17:1) …
    assert contrast(osce, THEMES["dark"]) < 3 and contrast(unions, THEMES["dark"]) < 3
    for colour in (osce, unions, "#FFE800", "#000000", "#FFFFFF"):
        shade = charts.legible(colour)
        assert min(contrast(shade, THEMES["light"]), contrast(shade, THEMES["dark"])) >= 3.0, (colour, shade)
    # … and a colour that already fits is left as it is; a lightened one keeps its hue (blue stays blue).
    assert charts.legible("#0072b2") == "#0072B2"
    r, g, b = (int(charts.legible(osce)[i : i + 2], 16) for i in (1, 3, 5))
    assert b > r and b > g


def test_the_group_colours_stay_apart_from_each_other():
    """Darkening the light colours of the palette kept each group's colour its own: no two closer than
    ΔE*ab 15 (CIE 1976; the palette before was 14.4 at its closest, two blues)."""

    def lab(colour: str) -> tuple[float, float, float]:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
        y = 0.2126 * r + 0.7152 * g + 0.0722 * b
        z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

        def f(t: float) -> float:
            return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

        return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))

    colours = group_colours()
    assert len(set(colours.values())) == len(colours)
    closest = min(
        (sum((p - q) ** 2 for p, q in zip(lab(a), lab(b), strict=True)) ** 0.5, x, y)
        for x, a in colours.items()
        for y, b in colours.items()
        if x < y
    )
    assert closest[0] >= 15, closest


# Text (foreground, background) the stylesheets set: the projector's and the wall's two themes
# (engagement/ui/hall.py) and the selected segment of our stylesheet, on Streamlit's two pinks.
def text_pairs() -> dict[str, tuple[str, str]]:
    pairs = {}
    for theme, (background, text, secondary, card, _border, accent) in hall._THEMES.items():
        pairs |= {
            f"{theme}: text": (text, background),
            f"{theme}: secondary text": (secondary, background),
            f"{theme}: accent (join URL, votes)": (accent, background),
            f"{theme}: card text": (text, card),
            f"{theme}: card secondary text": (secondary, card),
        }
    (selected,) = re.findall(r'data-selected="true"\] p \{ color: (#[0-9a-f]{6})', qa.ACCESSIBLE_STYLE)
    pairs |= {"selected segment": (selected, "#f9ebed"), "selected segment, sidebar": (selected, "#f3e5e6")}
    return pairs


@pytest.mark.parametrize("name", sorted(text_pairs()))
def test_every_text_colour_is_readable_on_its_background(name):
    foreground, background = text_pairs()[name]
    assert contrast(foreground, background) >= 4.5, f"{name}: {contrast(foreground, background):.2f}:1"


# Colours in the code that are not marks, text or rings: the themes' backgrounds, the session bands'
# grey (checked as composited above), white and black (what ``legible`` mixes with, and its last
# resort), the PDF report's own palette (engagement/report: printed, its own stylesheet).
NOT_MARKS = {"#FFFFFF", "#0E1117", "#808080", "#000000", "#767676"}
SCANNED = ["engagement/analysis/charts.py", "engagement/analysis/display.py", "engagement/ui/qa.py", "views"]


def test_no_colour_in_the_pages_escapes_the_checks():
    checked = {c.upper() for c in GRAPHICS.values()} | {c.upper() for pair in text_pairs().values() for c in pair}
    unchecked = {}
    for entry in SCANNED:
        path = ROOT / entry
        for file in sorted(path.glob("*.py")) if path.is_dir() else [path]:
            for colour in HEX.findall(file.read_text(encoding="utf-8")):
                if colour.upper() not in checked | NOT_MARKS:
                    unchecked.setdefault(colour, []).append(file.relative_to(ROOT).as_posix())
    # What was fixed stays fixed: the palette's light colours, below 3:1 on white, are gone.
    for before in ("#E69F00", "#BBBBBB", "#56B4E9", "#88CCEE", "#DDCC77", "#44AA99", "#999999"):
        assert before.upper() not in {c.upper() for c in GRAPHICS.values()}, before
    assert unchecked == {}, unchecked


def test_a_charts_text_alternative_names_its_key_figures():
    frame = pd.DataFrame(
        {
            "session": ["Opening", "Panel 1", "Panel 2"],
            "posts": [120, 3450, 980],
            "authors": [40, 610, 300],
            "posts_share": [0.03, 0.76, 0.21],
        }
    )
    text = charts.text_alternative(frame, "Participation by session", "Europe/Vienna")
    assert text.startswith("Participation by session: 3 entries.")
    assert "Posts: 4,550 in all; most: Panel 1 (3,450)." in text
    assert "Unique authors: 950 in all; most: Panel 1 (610)." in text  # display.label names the columns
    assert "most: Panel 1 (76%)" in text and "in all; most: Panel 1 (76%)" not in text  # a share has no total


def test_a_time_series_alternative_names_the_busiest_moment_in_the_events_zone():
    frame = pd.DataFrame(
        {
            "bucket": [datetime(2018, 4, 23, 7, 30, tzinfo=UTC), datetime(2018, 4, 23, 7, 45, tzinfo=UTC)],
            "posts": [5, 9],
        }
    )
    text = charts.text_alternative(frame, "Posts over time", "Europe/Vienna")
    assert "Posts: 14 in all; most: Mon 23 Apr, 09:45 (9)." in text  # 07:45 UTC is 09:45 in Vienna


def test_an_empty_frame_gives_a_sentence_not_an_error():
    assert (
        charts.text_alternative(pd.DataFrame({"group": [], "posts": []}), "By group", "UTC") == "By group: 0 entries."
    )
