"""A :class:`~.view.DocumentView` as one self-contained HTML page.

Inline CSS, the QR code as inline SVG, no scripts and no external resources, so the page can be
e-mailed, archived or shown in a sandboxed frame as is. Every piece of document text goes
through :func:`html.escape`: names and notes come from marketplaces and buyers.
"""

from __future__ import annotations

from html import escape

from .qr import qr_svg
from .view import Block, DocumentView

CSS = """
body{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;font-size:12px;color:#000;margin:0}
.page{max-width:820px;margin:16px auto;padding:16px}
.top{display:grid;grid-template-columns:1fr auto 1fr;gap:16px;align-items:start}
.logo{text-align:center}.logo h1{font-size:16px;margin:4px 0 0}
.mid{display:grid;grid-template-columns:1fr 1fr;gap:16px;margin-top:12px;
border-top:1px solid #000;padding-top:8px}
.blocks{display:flex;gap:16px;margin-top:8px}.blocks>div{flex:1}
h2{font-size:12px;margin:0 0 2px}.name{font-weight:bold;font-size:13px}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #666;padding:3px 4px;
vertical-align:top}th{background:#e6e6e6;text-align:left}
.info th{width:40%}.r{text-align:right;white-space:nowrap}.c{text-align:center}
.lines{margin-top:12px}.totals{width:auto;margin:8px 0 0 auto}.totals th{text-align:right}
.strong td,.strong th{font-weight:bold;background:#e6e6e6}
.words{text-align:right;font-weight:bold;margin-top:4px}
.notes{margin-top:10px}.notes ul{margin:2px 0 0;padding-left:18px}
.signs{display:flex;gap:16px;margin-top:16px}.signs div{flex:1;border:1px solid #000;
height:80px;text-align:center;font-weight:bold;padding-top:4px}
@page{size:A4;margin:12mm}@media print{.page{margin:0;padding:0;max-width:none}}
"""

_STRONG = ' class="strong"'
_ALIGN = {"left": "", "right": ' class="r"', "center": ' class="c"'}


def render_view_html(view: DocumentView) -> str:
    """The whole page for ``view``; ``lang="tr"`` so browsers case Turkish text correctly."""
    parts = [
        '<!DOCTYPE html><html lang="tr"><head><meta charset="utf-8">',
        f"<title>{escape(view.title)} {escape(view.number)}</title>",
        f'<style>{CSS}</style></head><body><div class="page">',
        _top(view),
        _middle(view),
        _lines(view),
        _totals(view),
        _notes(view),
        *(_block(section, "notes") for section in view.sections),
        _signatures(view),
        "</div></body></html>",
    ]
    return "".join(parts)


def _block(block: Block, css_class: str = "") -> str:
    attr = f' class="{css_class}"' if css_class else ""
    title = f"<h2>{escape(block.title)}</h2>" if block.title else ""
    heading = f'<div class="name">{escape(block.heading)}</div>' if block.heading else ""
    lines = "".join(f"<div>{escape(line)}</div>" for line in block.lines)
    return f"<div{attr}>{title}{heading}{lines}</div>"


def _top(view: DocumentView) -> str:
    qr = qr_svg(view.qr_payload) if view.qr_payload is not None else ""
    logo = f'<div class="logo">{qr}<h1>{escape(view.title)}</h1></div>'
    return f'<div class="top">{_block(view.issuer)}{logo}<div></div></div>'


def _middle(view: DocumentView) -> str:
    rows = "".join(
        f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>" for label, value in view.info
    )
    middle = f'<div class="mid">{_block(view.counterpart)}<table class="info">{rows}</table></div>'
    if view.extra_blocks:
        middle += '<div class="blocks">' + "".join(map(_block, view.extra_blocks)) + "</div>"
    return middle


def _lines(view: DocumentView) -> str:
    head = "".join(f"<th{_ALIGN[c.align]}>{escape(c.title)}</th>" for c in view.columns)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{_ALIGN[col.align]}>{escape(cell)}</td>"
            for col, cell in zip(view.columns, row, strict=True)
        )
        + "</tr>"
        for row in view.rows
    )
    return f'<table class="lines"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _totals(view: DocumentView) -> str:
    if not view.totals:
        return ""
    rows = "".join(
        f"<tr{_STRONG if t.strong else ''}><th>{escape(t.label)}</th>"
        f'<td class="r">{escape(t.value)}</td></tr>'
        for t in view.totals
    )
    words = f'<p class="words">{escape(view.amount_words)}</p>' if view.amount_words else ""
    return f'<table class="totals">{rows}</table>{words}'


def _notes(view: DocumentView) -> str:
    if not view.notes:
        return ""
    items = "".join(f"<li>{escape(note)}</li>" for note in view.notes)
    return f'<div class="notes"><h2>Notlar</h2><ul>{items}</ul></div>'


def _signatures(view: DocumentView) -> str:
    if not view.signatures:
        return ""
    boxes = "".join(f"<div>{escape(label)}</div>" for label in view.signatures)
    return f'<div class="signs">{boxes}</div>'
