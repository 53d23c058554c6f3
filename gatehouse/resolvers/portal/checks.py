"""Which onboarding step each portal intent sets up: the checklist reads the same status as
`Organization.onboarding` (resolvers/onboarding/status.py), so the two never disagree."""

from __future__ import annotations

from gatehouse.models import PortalIntent
from gatehouse.resolvers.onboarding.status import StepName

STEPS: dict[PortalIntent, StepName] = {
    PortalIntent.DOMAIN_VERIFICATION: StepName.DOMAINS,
    PortalIntent.SSO: StepName.SSO,
    PortalIntent.DSYNC: StepName.DIRECTORY,
    PortalIntent.LOG_STREAMS: StepName.LOG_STREAMS,
}
