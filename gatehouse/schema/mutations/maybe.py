"""`Maybe` inputs → the resolvers' UNSET convention."""

from __future__ import annotations

from typing import Any

from gatehouse.resolvers.organizations import UNSET


def given(value: Any) -> Any:
    """`Some(x)` → x (null included); absent → UNSET."""
    return UNSET if value is None else value.value
