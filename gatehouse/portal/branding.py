"""The operator's branding, from settings, checked so it cannot inject markup or CSS."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from gatehouse.settings import Settings

_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
DEFAULT_COLOR = "#3b5bdb"


@dataclass(frozen=True, slots=True)
class Brand:
    name: str
    logo_url: str | None
    color: str
    on_color: str  # text colour on the brand colour, whichever contrasts more (WCAG 2.x)


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(color: str) -> float:
    """WCAG 2.1 relative luminance of a `#rgb` / `#rrggbb` colour."""
    digits = color.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    r, g, b = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: float, b: float) -> float:
    hi, lo = max(a, b), min(a, b)
    return (hi + 0.05) / (lo + 0.05)


def brand_from(settings: Settings) -> Brand:
    color = settings.brand_color if _HEX.match(settings.brand_color) else DEFAULT_COLOR
    lum = relative_luminance(color)
    on_color = "#ffffff" if contrast(lum, 1.0) >= contrast(lum, 0.0) else "#111111"
    logo = settings.brand_logo_url
    if logo and urlsplit(logo).scheme not in ("https", "http"):
        logo = None
    return Brand(name=settings.brand_name, logo_url=logo, color=color, on_color=on_color)
