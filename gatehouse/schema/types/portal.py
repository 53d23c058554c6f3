"""Admin Portal types."""

from __future__ import annotations

import strawberry

from gatehouse.models import PortalIntent as PortalIntentModel

# strawberry.enum returns the same class: alias the class so mypy reads the name as a type.
strawberry.enum(
    PortalIntentModel,
    name="PortalIntent",
    description="What a setup link lets the customer's admin configure: SSO connections, "
    "directory sync, domain verification, log streams.",
)
PortalIntent = PortalIntentModel
