"""A tiny HTML page writer shared by the instructor tools (feedback, rubric, class report).

Everything a student wrote is escaped (:func:`esc`): a submission containing ``<script>`` shows
as text. Pages are self-contained (inline CSS, figures as data: URIs) so they open offline and can
be mailed or uploaded as single files.
"""
from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

__all__ = ["esc", "page", "figure_img", "write_page", "table"]

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:980px;margin:2em auto;padding:0 1em;
color:#1d1d1f;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ddd}
pre{background:#f6f8fa;border:1px solid #e1e4e8;border-radius:6px;padding:.8em;overflow-x:auto;font-size:.9em;
font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace}
td{overflow-wrap:anywhere}td pre{white-space:pre-wrap}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ddd;padding:.3em .6em;text-align:left;
vertical-align:top}th{background:#f0f0f0}.pass{color:#176f2c}.fail{color:#b00020}.muted{color:#666}
.score{font-size:1.3em;font-weight:600}.grid{display:grid;grid-template-columns:1fr 1fr;gap:1em}
.box{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;margin:.6em 0}img{max-width:100%}
"""


def esc(value: Any) -> str:
    """HTML-escape any value (quotes too)."""
    return html.escape(str(value), quote=True)


def page(title: str, body: str) -> str:
    """A complete HTML document with the course's inline style.

    Parameters
    ----------
    title : str
        The page title (escaped).
    body : str
        The page's body, trusted HTML inserted as it is (escape untrusted text with :func:`esc`).

    Returns
    -------
    str
        A self-contained HTML5 document (no external resources).
    """
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{esc(title)}</title>"
            f"<style>{_CSS}</style></head><body>\n{body}\n</body></html>\n")


def table(header: list[str], rows: list[list[Any]], raw_columns: tuple[int, ...] = ()) -> str:
    """An HTML table; cells are escaped except the columns listed in ``raw_columns`` (trusted HTML).

    Parameters
    ----------
    header : list of str
        Column titles (escaped).
    rows : list of list
        Cells, one list per row; any value (shown with ``str``).
    raw_columns : tuple of int, optional
        Indices of columns whose cells are trusted HTML (links, images) and are not escaped.

    Returns
    -------
    str
        A ``<table>`` element with ``<thead>`` and ``<tbody>``.

    Examples
    --------
    >>> table(["a", "b"], [["<x>", "<i>y</i>"]], raw_columns=(1,))
    '<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>&lt;x&gt;</td><td><i>y</i></td></tr></tbody></table>'
    """
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell if i in raw_columns else esc(cell)}</td>" for i, cell in enumerate(row)) + "</tr>"
        for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def figure_img(fig: Any, alt: str) -> str:
    """A matplotlib figure as an inline ``<img>`` (PNG data URI); the figure is closed.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure, saved at 110 dpi with a tight bounding box.
    alt : str
        Alternative text (escaped).

    Returns
    -------
    str
        An ``<img>`` element whose ``src`` embeds the PNG in base64.
    """
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{data}">'


def write_page(path: str | Path, title: str, body: str) -> Path:
    """Write a page (parent folders created) and return its path.

    Parameters
    ----------
    path : path
        The file to write (overwritten), UTF-8.
    title : str
        The page title (escaped).
    body : str
        Trusted HTML of the body (see :func:`page`).

    Returns
    -------
    pathlib.Path
        ``path`` as a :class:`~pathlib.Path`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page(title, body), encoding="utf-8")
    return path
