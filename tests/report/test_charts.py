"""The report's charts as images: whatever the taxonomy holds, the image shows all of it."""

from __future__ import annotations

import io

import pandas as pd
from PIL import Image

from kit.report import charts
from kit.taxonomy import load_taxonomy


def test_a_legend_of_every_category_fits_in_the_image() -> None:
    """A legend outside the axes taller than the figure (20 categories and more) grows the image, never cut."""
    categories = sorted({rule.category for rule in load_taxonomy().rules})
    assert len(categories) >= 20, "the shipped taxonomy names enough categories to overflow a 4.2-inch figure"
    weeks = pd.date_range("2026-08-03", periods=6, freq="W-MON")
    weekly = pd.DataFrame(1, index=weeks, columns=categories)
    fig = charts.stacked_weekly(weekly, "Codex failures by category", "per week", 4.2)
    fig.canvas.draw()
    legend = fig.axes[0].get_legend().get_window_extent().transformed(fig.dpi_scale_trans.inverted())  # inches
    kept = fig.get_tightbbox()  # what the saved image holds (inches), before its 0.1-inch padding
    assert kept.x0 <= legend.x0 and legend.x1 <= kept.x1 and kept.y0 <= legend.y0 and legend.y1 <= kept.y1
    assert legend.height > fig.get_figheight(), "the legend is taller than the figure: the case this test is about"
    width, height = Image.open(io.BytesIO(charts.png(fig))).size
    dpi = 110  # what charts.png saves at
    assert height >= legend.height * dpi and width >= legend.width * dpi
    # Text measured at the figure's 100 dpi and drawn at 110 differs by a few pixels, nothing more.
    assert abs(height - (kept.height + 0.2) * dpi) < 0.01 * height
    assert abs(width - (kept.width + 0.2) * dpi) < 0.01 * width


def _saved_by_matplotlib(fig) -> tuple[int, int]:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", pad_inches=0.1)
    return Image.open(buffer).size


def test_a_chart_is_cropped_as_matplotlib_crops_it() -> None:
    """Drawn once and cropped to the box of what was drawn: the image matplotlib's own cropping makes, give
    or take a pixel of rounding."""
    weeks = pd.date_range("2026-08-03", periods=8, freq="W-MON")
    weekly = pd.DataFrame({"invalid-key": range(8), "sandbox": [3] * 8}, index=weeks)
    expected = _saved_by_matplotlib(charts.stacked_weekly(weekly, "Codex failures", "per week", 4.2))
    width, height = Image.open(
        io.BytesIO(charts.png(charts.stacked_weekly(weekly, "Codex failures", "per week", 4.2)))
    ).size
    assert abs(width - expected[0]) <= 3 and abs(height - expected[1]) <= 3


def test_what_is_drawn_beyond_the_room_around_the_axes_is_kept() -> None:
    """A text far outside the axes reaches the canvas's edge: the image is then matplotlib's crop, not cut."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 1])
    ax.text(-3.0, 0.5, "far to the left", transform=ax.transAxes)  # 3 axes widths: beyond the 2.5-inch room
    fig2, ax2 = plt.subplots(figsize=(4, 3))
    ax2.plot([0, 1], [0, 1])
    ax2.text(-3.0, 0.5, "far to the left", transform=ax2.transAxes)
    width, height = Image.open(io.BytesIO(charts.png(fig))).size
    assert (width, height) == _saved_by_matplotlib(fig2)
    assert width > 4 * 110 * 1.5  # the far text is in the image


def test_a_hardening_after_every_bar_is_still_drawn_on_the_chart() -> None:
    """A cutover outside the weeks drawn (no failure since the hardening: the hoped-for outcome) widens the
    axis to hold its line; its label stays on the chart, and the image is as wide as with a cutover inside."""
    import matplotlib.dates as mdates

    weeks = pd.date_range("2026-08-03", periods=4, freq="W-MON")
    weekly = pd.DataFrame({"invalid-key": [4, 2, 1, 3]}, index=weeks)
    late, inside = pd.Timestamp("2026-10-15", tz="UTC"), pd.Timestamp("2026-08-12", tz="UTC")
    fig = charts.stacked_weekly(weekly, "Codex failures", "per week", 4.2, late)
    low, high = fig.axes[0].get_xlim()
    assert low < mdates.date2num(late.tz_convert(None).to_pydatetime()) < high
    wide = Image.open(io.BytesIO(charts.png(fig))).size[0]
    usual = Image.open(io.BytesIO(charts.png(charts.stacked_weekly(weekly, "Codex failures", "per week", 4.2, inside))))
    assert abs(wide - usual.size[0]) <= 0.05 * usual.size[0]


def test_a_figure_with_artists_of_its_own_is_cropped_by_matplotlib() -> None:
    """A layout engine or a figure title would not keep its place on the grown canvas: savefig crops those."""
    import matplotlib.pyplot as plt

    for make in (lambda: plt.subplots(figsize=(6, 3), layout="tight"), lambda: plt.subplots(figsize=(6, 3))):
        fig, ax = make()
        ax.plot([0, 1], [0, 1])
        fig.suptitle("a title of the figure's own")
        twin, twin_ax = make()
        twin_ax.plot([0, 1], [0, 1])
        twin.suptitle("a title of the figure's own")
        assert Image.open(io.BytesIO(charts.png(fig))).size == _saved_by_matplotlib(twin)
