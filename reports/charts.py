"""Charts drawn on the server as small inline SVG: nothing to download, no script, no CDN.

Each chart is a horizontal bar chart (readable on a 360 px phone); the same numbers are always
in a table next to it.
"""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

BAR_HEIGHT = 22
GAP = 6
LABEL_WIDTH = 140
BAR_WIDTH = 180
VALUE_WIDTH = 60


def bar_chart(rows: list[dict], *, title: str) -> SafeString:
    """An accessible SVG bar chart of rows with `label` and `count`."""
    if not rows:
        return SafeString("")
    top = max(row["count"] for row in rows) or 1
    height = len(rows) * (BAR_HEIGHT + GAP)
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    bars = format_html_join(
        "",
        '<g transform="translate(0,{})"><text x="{}" y="{}" text-anchor="end" '
        'class="chart-label">{}</text><rect x="{}" y="0" width="{}" height="{}" '
        'class="chart-bar"><title>{}: {}</title></rect><text x="{}" y="{}" '
        'class="chart-value">{}</text></g>',
        (
            (
                index * (BAR_HEIGHT + GAP),
                LABEL_WIDTH - 6,
                BAR_HEIGHT * 0.7,
                _short(str(row["label"])),
                LABEL_WIDTH,
                round(BAR_WIDTH * row["count"] / top, 1),
                BAR_HEIGHT,
                row["label"],
                row["count"],
                LABEL_WIDTH + round(BAR_WIDTH * row["count"] / top, 1) + 4,
                BAR_HEIGHT * 0.7,
                row["count"],
            )
            for index, row in enumerate(rows)
        ),
    )
    return format_html(
        '<svg class="chart" role="img" aria-label="{}" viewBox="0 0 {} {}" '
        'preserveAspectRatio="xMinYMin meet">'
        "<title>{}</title>{}</svg>",
        title,
        width,
        height,
        title,
        bars,
    )


def _short(label: str, limit: int = 22) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
