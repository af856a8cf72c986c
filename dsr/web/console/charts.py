"""The dashboard's charts, drawn on the server as SVG with pygal. The console shows each one as
an image (so none of its styles or scripts runs in the page, whatever the page's Content
Security Policy) beside a table with the same numbers, which is what screen readers read."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

import pygal
from pygal.style import Style

from dsr.reports.dashboard import Dashboard
from dsr.web.console import labels

WIDTH, HEIGHT = 720, 360
# Colours told apart by people with the common colour-vision deficiencies (Okabe and Ito).
_STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1b1b1b",
    foreground_strong="#1b1b1b",
    foreground_subtle="#505050",
    colors=("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000"),
    font_family="system-ui, sans-serif",
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=13,
    title_font_size=15,
    value_font_size=12,
)


def _chart(kind: type[pygal.graph.graph.Graph], title: str, **config: object) -> pygal.Graph:
    return kind(
        title=title,
        width=WIDTH,
        height=HEIGHT,
        style=_STYLE,
        js=[],  # an image runs no scripts anyway; none is linked
        show_legend=True,
        legend_at_bottom=True,
        print_values=False,
        **config,
    )


def _type_label(code: str) -> str:
    return labels.TYPE.get(code, code.replace("_", " ").capitalize())


def volume(d: Dashboard) -> pygal.Graph:
    chart = _chart(pygal.StackedBar, "Requests received per week, by type", x_label_rotation=30)
    chart.x_labels = d.weeks
    for kind, by_week in d.volume.items():
        chart.add(_type_label(kind), [by_week[w] for w in d.weeks])
    return chart


def on_time(d: Dashboard) -> pygal.Graph:
    chart = _chart(pygal.Bar, "Answered on time, by month (%)", range=(0, 100))
    chart.x_labels = [m for m, *_ in d.on_time]
    chart.add("On time (%)", [rate for *_, rate in d.on_time])
    return chart


def open_work(d: Dashboard) -> pygal.Graph:
    chart = _chart(pygal.HorizontalBar, "Open work by status")
    for status, n in d.open_work.items():
        chart.add(labels.STATUS.get(status, status), [n])
    return chart


def closing(d: Dashboard) -> pygal.Graph:
    chart = _chart(pygal.Bar, "Days from receipt to the answer, by type")
    chart.x_labels = [_type_label(c.type) for c in d.closing]
    for p, name in (
        (25, "25th percentile"),
        (50, "Median"),
        (75, "75th percentile"),
        (90, "90th percentile"),
    ):
        chart.add(name, [c.percentiles[p] for c in d.closing])
    return chart


def appeals(d: Dashboard) -> pygal.Graph:
    chart = _chart(pygal.Bar, "Appeals received, by outcome")
    for status, n in d.appeals.items():
        chart.add(labels.appeal_status(status), [n])
    return chart


class Chart(StrEnum):
    VOLUME = "volume"
    ON_TIME = "on-time"
    OPEN_WORK = "open-work"
    CLOSING = "closing"
    APPEALS = "appeals"


CHARTS: dict[Chart, tuple[str, Callable[[Dashboard], pygal.Graph]]] = {
    # name -> (the dashboard part it needs, how to draw it)
    Chart.VOLUME: ("volume", volume),
    Chart.ON_TIME: ("on_time", on_time),
    Chart.OPEN_WORK: ("open_work", open_work),
    Chart.CLOSING: ("closing", closing),
    Chart.APPEALS: ("appeals", appeals),
}


def render(name: Chart, d: Dashboard) -> bytes:
    svg: bytes = CHARTS[name][1](d).render()
    return svg
