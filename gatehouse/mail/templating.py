"""The templates of every message, beside this module."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent),
    # Organization and inviter names come from customers: escaped in HTML, never markup.
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)
