"""The report's charts, as matplotlib figures the notebook displays (static images: no kernel, no CDN)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import io
import math

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from kit.analysis.criteria import Analysis
from kit.analysis.cutover import Window
from kit.report import palette
from kit.taxonomy import NOT_FAILURES
from kit.vocabulary import PR_EVENTS

_BAR_DAYS = 6  # a week's bar, a day of gap to the next


def _weekly(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame()
    week = frame["created_at"].dt.tz_convert(None).dt.to_period("W").dt.start_time
    return frame.assign(week=week).pivot_table(index="week", columns=column, values="job_id", aggfunc="count",
                                               fill_value=0)  # fmt: skip


def _mark_cutover(ax, at: pd.Timestamp | None) -> None:
    if at is not None:
        ax.axvline(at.tz_convert(None), color="black", linestyle="--", linewidth=1.2)
        ax.annotate("hardening", (at.tz_convert(None), 1), xycoords=("data", "axes fraction"),
                    xytext=(4, -12), textcoords="offset points", fontsize=9)  # fmt: skip


def codex_failures(analysis: Analysis) -> pd.DataFrame:
    """The failed Codex job attempts the category charts count (what is not a failure left out)."""
    failures = analysis.failures
    return failures[(failures["kind"] == "codex") & ~failures["category"].isin(NOT_FAILURES)]


def weekly_categories(analysis: Analysis) -> pd.DataFrame:
    """Codex failures per week (rows, the Monday) and category (columns): the chart's numbers, for report.json."""
    return _weekly(codex_failures(analysis), "category")


def _stacked_weekly(analysis: Analysis, frame: pd.DataFrame, title: str, ylabel: str, height: float) -> Figure:
    return stacked_weekly(_weekly(frame, "category"), title, ylabel, height, analysis.cutover.at)


def stacked_weekly(
    weekly: pd.DataFrame, title: str, ylabel: str, height: float, cutover_at: pd.Timestamp | None = None
) -> Figure:
    """Counts per week by category, stacked in family colours, each week's total on top, cutover marked.

    A category's weeks are one collection of rectangles, not a bar patch each: a dashboard of a busy
    repository has hundreds of them, and matplotlib lays out and draws a patch at a time (a third of the
    chart's cost).
    """
    fig, ax = plt.subplots(figsize=(11, height))
    ax.set_title(title)
    if weekly.empty:
        ax.text(0.5, 0.5, "none in this period", ha="center", va="center", transform=ax.transAxes)
        ax.set_yticks([])
        return fig
    categories = palette.order(list(weekly.columns))
    colours = palette.colours(categories)
    starts = mdates.date2num(weekly.index.to_pydatetime())
    bottom = np.zeros(len(weekly))
    for category in categories:
        counts = weekly[category].to_numpy(dtype=float)
        boxes = [[(x, y), (x, y + n), (x + _BAR_DAYS, y + n), (x + _BAR_DAYS, y)]
                 for x, y, n in zip(starts, bottom, counts, strict=True) if n]  # fmt: skip
        ax.add_collection(PolyCollection(boxes, facecolors=colours[category], edgecolors="white", linewidths=0.4,
                                         label=category))  # fmt: skip
        bottom = bottom + counts
    for x, total in zip(starts, bottom, strict=True):
        if total:
            ax.text(x + _BAR_DAYS / 2, total, str(int(total)), ha="center", va="bottom", fontsize=8)
    ax.xaxis_date()
    low, high = starts.min() - 1, starts.max() + _BAR_DAYS + 1
    if cutover_at is not None:  # the hardening line is shown even when it falls before or after every bar
        at = mdates.date2num(cutover_at.tz_convert(None).to_pydatetime())
        low, high = min(low, at - 1), max(high, at + 1)
    ax.set_xlim(low, high)
    ax.set_ylim(0, bottom.max() * 1.18 + 1)
    _mark_cutover(ax, cutover_at)
    ax.set_ylabel(ylabel)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    return fig


def categories_over_time(analysis: Analysis) -> Figure:
    return _stacked_weekly(analysis, codex_failures(analysis), "Codex failures by category", "Codex failures per week",
                           4.2)  # fmt: skip


def rates_before_after(analysis: Analysis) -> Figure:
    """Failure rate per Codex job attempt, before and after, with 95% Wilson intervals and the rate printed."""
    rates = analysis.rates
    fig, ax = plt.subplots(figsize=(9, 0.5 * max(len(rates), 2) + 1.4))
    ax.set_title("Failure rate by category, before and after the hardening")
    if rates.empty:
        ax.text(0.5, 0.5, "no Codex failures", ha="center", va="center", transform=ax.transAxes)
        return fig
    rates = rates.set_index("category").loc[palette.order(list(rates["category"]))].reset_index()
    positions = range(len(rates))
    widest = 0.0
    for offset, window, color in ((-0.2, Window.BEFORE.value, "#9e9e9e"), (0.2, Window.AFTER.value, "#1565c0")):
        rate = rates[f"{window}_rate"].fillna(0) * 100
        low = (rates[f"{window}_rate"] - rates[f"{window}_low"]).fillna(0) * 100
        high = (rates[f"{window}_high"] - rates[f"{window}_rate"]).fillna(0) * 100
        ys = [p + offset for p in positions]
        ax.barh(ys, rate, height=0.38, color=color, label=window, xerr=[low, high], capsize=2,
                error_kw={"elinewidth": 0.8, "ecolor": "#555"})  # fmt: skip
        for y, value, reach in zip(ys, rate, rate + high, strict=True):
            ax.text(reach + 0.15, y, f"{value:.1f}%", va="center", fontsize=7.5)
        widest = max(widest, float((rate + high).max()))
    ax.set_xlim(0, widest * 1.2 + 0.5)
    ax.set_yticks(list(positions), rates["category"])
    ax.invert_yaxis()
    ax.set_xlabel("% of Codex job attempts (95% Wilson interval)")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, loc="lower right")
    return fig


def fork_handling(analysis: Analysis, history) -> Figure:
    """Codex jobs on fork and same-repo PRs: ran or skipped, before and after."""
    runs = history.runs.set_index("run_id")
    jobs = history.jobs
    names = set(jobs.loc[jobs["has_codex"], "name"])
    codex = jobs[jobs["name"].isin(names)]
    codex = codex.assign(
        window=codex["run_id"].map(analysis.window),
        kind=codex["run_id"].map(runs["is_fork_pr"]).map({True: "fork PR", False: "same-repo PR"}),
        event=codex["run_id"].map(runs["event"]),
        outcome=(codex["conclusion"] == "skipped").map({True: "skipped", False: "ran"}),
    )
    prs = codex[codex["event"].isin(PR_EVENTS) & codex["window"].isin((Window.BEFORE, Window.AFTER))]
    table = prs.pivot_table(index=["window", "kind"], columns="outcome", values="job_id", aggfunc="count", fill_value=0)
    fig, ax = plt.subplots(figsize=(8, 3.4))
    if table.empty:
        ax.text(0.5, 0.5, "no pull-request runs", ha="center", va="center", transform=ax.transAxes)
        return fig
    sides = (Window.BEFORE.value, Window.AFTER.value)
    table = table.reindex([(w, k) for w in sides for k in ("fork PR", "same-repo PR")], fill_value=0)
    labels = [f"{w}: {k}" for w, k in table.index]
    left = [0] * len(table)
    for outcome, color in (("ran", "#1565c0"), ("skipped", "#9e9e9e")):
        values = list(table[outcome]) if outcome in table else [0] * len(table)
        bars = ax.barh(labels, values, left=left, color=color, label=outcome)
        ax.bar_label(bars, labels=[str(int(v)) if v else "" for v in values], label_type="center", color="white",
                     fontsize=8)  # fmt: skip
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_xlim(0, max(left) * 1.1 + 1)
    ax.spines[["top", "right"]].set_visible(False)
    ax.invert_yaxis()
    ax.set_xlabel("Codex jobs on pull requests")
    ax.set_title("Fork PRs are skipped; same-repo PRs still run")
    ax.legend(frameon=False)
    return fig


def db_failures_over_time(analysis: Analysis) -> Figure:
    db = analysis.failures[analysis.failures["kind"] == "db"]
    return _stacked_weekly(analysis, db, "DB function test failures", "DB test failures per week", 3.2)


# Room around the axes for what is drawn outside them (tick labels, titles, a legend to the right, a long
# legend below): the canvas is this much larger on every side, and the image is cropped to what was drawn.
_ROOM_INCHES = 2.5
_PAD_INCHES = 0.1  # the border kept around what was drawn, as savefig's bbox_inches="tight" keeps


def png(fig: Figure, dpi: int = 110) -> bytes:
    """The figure as PNG bytes (closed afterwards): what the notebook shows and the team page embeds.

    Cropped to what was drawn, legends outside the axes included: a taxonomy of 20 categories and more
    has a legend taller than the figure, which the image grows to hold rather than cut.
    """
    try:
        buffer = io.BytesIO()
        if not _drawn_once(fig, dpi, buffer):
            fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", pad_inches=_PAD_INCHES)
        return buffer.getvalue()
    finally:
        plt.close(fig)


def _drawn_once(fig: Figure, dpi: int, buffer: io.BytesIO) -> bool:
    """Draw the figure once, on a canvas with room on every side, and write its pixels cropped to the box
    of everything drawn: savefig's own cropping lays out and draws everything twice (a third of a
    dashboard's chart time). False, with nothing written, for a figure this cannot serve: one with a
    layout engine or artists of its own (they would not keep their place as the canvas grows), or whose
    drawing goes beyond the canvas; savefig's cropping, never cut, serves those."""
    plain = (
        fig.get_layout_engine() is None and fig.patch.get_visible() and not fig.subfigs
        and not (fig.texts or fig.legends or fig.images or fig.lines or fig.patches or fig.artists)
        and not (fig.get_suptitle() or fig.get_supxlabel() or fig.get_supylabel())
    )  # fmt: skip
    if not plain:
        return False
    _make_room(fig, _ROOM_INCHES)  # axes keep their size and their place to one another: savefig's crop is the same
    fig.set_dpi(dpi)
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    drawn = fig.get_tightbbox(canvas.get_renderer()).padded(_PAD_INCHES)
    width, height = canvas.get_width_height()
    left, right = math.floor(drawn.x0 * dpi), math.ceil(drawn.x1 * dpi)
    bottom, top = math.floor(drawn.y0 * dpi), math.ceil(drawn.y1 * dpi)
    if not (0 <= left < right <= width and 0 <= bottom < top <= height):
        return False
    pixels = np.asarray(canvas.buffer_rgba())[height - top : height - bottom, left:right]
    opaque = pixels[..., :3] if fig.get_facecolor()[3] == 1 else pixels  # no alpha to keep on opaque paper
    PIL.Image.fromarray(np.ascontiguousarray(opaque)).save(buffer, format="png", dpi=(dpi, dpi))
    return True


def _make_room(fig: Figure, inches: float) -> None:
    """Grow the figure by `inches` on every side, each axes keeping its size and place in inches."""
    width, height = fig.get_size_inches()
    places = [(ax, ax.get_position()) for ax in fig.axes]
    fig.set_size_inches(width + 2 * inches, height + 2 * inches)
    wide, high = width + 2 * inches, height + 2 * inches
    for ax, place in places:
        ax.set_position([(place.x0 * width + inches) / wide, (place.y0 * height + inches) / high,
                         place.width * width / wide, place.height * height / high])  # fmt: skip


def show(fig: Figure, dpi: int = 110):
    """The figure as a PNG image for the notebook (independent of the kernel's matplotlib backend)."""
    from IPython.display import Image

    return Image(data=png(fig, dpi), format="png")
