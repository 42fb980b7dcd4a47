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
    legend = fig.axes[0].get_legend().get_window_extent()
    scale = 110 / fig.dpi  # charts.png saves at 110 dpi
    width, height = Image.open(io.BytesIO(charts.png(fig))).size
    assert height >= legend.height * scale, f"legend {legend.height * scale:.0f} px in an image {height} px high"
    assert width >= legend.x1 * scale - 1
