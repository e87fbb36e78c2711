"""Generates the XSLT that kervan-ubltr embeds in every invoice (``assets/invoice.xslt``).

The stylesheet is XSLT 1.0, so libxslt (lxml), browsers and the integrators' viewers can all
run it. Its code tables (units, transport modes, exemptions, ...) and number words are filled
in from :mod:`.codes` and :mod:`.words`, and its CSS is the HTML renderer's, so the embedded
view, the PDF and the HTML page print the same words. The generated file is committed (the
builder must not import reportlab); a test fails when it is stale. Regenerate with::

    .venv/bin/python -m kervan_ubltr.render.stylesheet
"""

from __future__ import annotations

from pathlib import Path

from . import codes, words
from .html import CSS
from .views import TAX_NAMES

TEMPLATE = Path(__file__).parent / "invoice_template.xslt"
OUTPUT = Path(__file__).parent.parent / "assets" / "invoice.xslt"
_FORBIDDEN = set("|='&<>\"")


def _table(pairs: dict[str, str]) -> str:
    """``|k=v|k=v|``: a lookup string the stylesheet searches with substring-after."""
    for key, value in pairs.items():
        if _FORBIDDEN & set(key + value):
            raise ValueError(f"code table entry {key!r} cannot go into the stylesheet")
    return "|" + "".join(f"{key}={value}|" for key, value in pairs.items())


def _indexed(names: tuple[str, ...]) -> dict[str, str]:
    return {str(i): name for i, name in enumerate(names) if name}


def build_stylesheet() -> str:
    """The stylesheet's text, generated from the template and the code tables."""
    fills = {
        "PROFILES": codes.PROFILE_NAMES,
        "TYPES": codes.TYPE_NAMES,
        "TYPE_Q": codes.TYPE_QUALIFIERS,
        "UNITS": codes.UNIT_NAMES,
        "MODES": codes.TRANSPORT_MODES,
        "INCOTERMS": codes.INCOTERMS,
        "EXEMPTIONS": codes.EXEMPTIONS,
        "PAYMENTS": codes.PAYMENT_METHODS,
        "TAXES": TAX_NAMES,
        "MAJOR": {code: major for code, (major, _) in words.CURRENCY_WORDS.items()},
        "MINOR": {code: minor for code, (_, minor) in words.CURRENCY_WORDS.items()},
        "ONES": _indexed(words.ONES),
        "TENS": _indexed(words.TENS),
        "SCALES": _indexed(words.SCALES),
    }
    text = TEMPLATE.read_text(encoding="utf-8")
    for name, table in fills.items():
        text = text.replace(f"@@{name}@@", _table(table))
    text = text.replace("@@CSS@@", " ".join(CSS.split()))
    if "@@" in text:
        raise ValueError("the stylesheet template has a placeholder with no table")
    return text


if __name__ == "__main__":
    OUTPUT.write_text(build_stylesheet(), encoding="utf-8")
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes)")
