"""Rows from the analyst views → PNG bytes. Pure: no database, no files (the asset does the I/O).

Every chart renders something, also for an account without data yet ("no data yet"), so a new
account never breaks the report. Figures are closed after rendering; the Agg backend needs no screen.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

SIZE = (6, 3)
DPI = 80


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=DPI)
    plt.close(fig)
    return buffer.getvalue()


def _canvas(title: str, *series: Sequence) -> tuple:
    """(figure, axes, whether any series has a value); without one the axes say "no data yet"."""
    fig, ax = plt.subplots(figsize=SIZE)
    ax.set_title(title)
    has_data = any(v is not None for values in series for v in values)
    if not has_data:
        ax.text(0.5, 0.5, "no data yet", ha="center", va="center", transform=ax.transAxes, color="gray")
        ax.set_xticks([])
        ax.set_yticks([])
    return fig, ax, has_data


def follower_growth(days: Sequence[date], followers: Sequence[int | None], new_followers: Sequence[int | None],
                    title: str = "Followers") -> bytes:
    """Line: followers at the end of each day (days without a snapshot are gaps); bars: new followers."""
    fig, ax, has_data = _canvas(title, followers, new_followers)
    if not has_data:
        return _png(fig)
    points = [(d, f) for d, f in zip(days, followers, strict=True) if f is not None]
    if points:
        ax.plot([d for d, _ in points], [f for _, f in points], marker=".", color="tab:blue", label="followers")
    ax.set_ylabel("followers")
    bars = ax.twinx()
    bars.bar(days, [n or 0 for n in new_followers], color="tab:green", alpha=0.35, label="new followers")
    bars.set_ylabel("new / day")
    fig.autofmt_xdate()
    return _png(fig)


def reach_and_views(days: Sequence[date], reach: Sequence[int | None], views: Sequence[int | None],
                    title: str = "Reach and views per day") -> bytes:
    fig, ax, has_data = _canvas(title, reach, views)
    if not has_data:
        return _png(fig)
    for values, label, color in ((reach, "reach", "tab:orange"), (views, "views", "tab:purple")):
        points = [(d, v) for d, v in zip(days, values, strict=True) if v is not None]
        ax.plot([d for d, _ in points], [v for _, v in points], marker=".", label=label, color=color)
    ax.legend(loc="upper left")
    fig.autofmt_xdate()
    return _png(fig)


def top_posts(labels: Sequence[str], interactions: Sequence[int], title: str = "Top posts by interactions") -> bytes:
    """Horizontal bars, best on top."""
    fig, ax, has_data = _canvas(title, interactions)
    if not has_data:
        return _png(fig)
    ax.barh(list(reversed(labels)), list(reversed(interactions)), color="tab:red")
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlabel("lifetime interactions")
    return _png(fig)


def competitor_followers(series: dict[str, tuple[Sequence[date], Sequence[int | None]]], own: set[str],
                         title: str = "Followers by week: own accounts and competitors") -> bytes:
    """One line per account (label → weeks, followers); the owner's own accounts solid, competitors dashed."""
    fig, ax, has_data = _canvas(title, *(followers for _, followers in series.values()))
    if not has_data:
        return _png(fig)
    for label, (weeks, followers) in sorted(series.items()):
        points = [(w, f) for w, f in zip(weeks, followers, strict=True) if f is not None]
        ax.plot([w for w, _ in points], [f for _, f in points], marker=".", label=label,
                linestyle="-" if label in own else "--")
    ax.set_ylabel("followers")
    ax.legend(loc="upper left", fontsize=6)
    fig.autofmt_xdate()
    return _png(fig)
