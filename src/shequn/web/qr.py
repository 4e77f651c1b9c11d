"""A text drawn as a QR code, an SVG made on the server (segno): the page needs no script
and nothing from elsewhere to show it."""

from __future__ import annotations

import segno
from markupsafe import Markup


def qr_svg(payload: str, label: str) -> Markup:
    """The payload as an inline SVG QR code, named ``label`` for screen readers."""
    code = segno.make(payload, error="m", micro=False)
    svg = code.svg_inline(scale=6, border=4, dark="#000", light="#fff", title=label,
                          svgclass="qr", lineclass=None, omitsize=False)
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))
