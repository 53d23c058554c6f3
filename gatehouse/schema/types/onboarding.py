"""The onboarding status: how far an organization is with setup."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gatehouse.resolvers.onboarding import status as onboarding
from gatehouse.schema.types.connection import ConnectionState
from gatehouse.schema.types.directory import DirectoryState

# strawberry.enum returns the same class: alias the class so mypy reads the name as a type.
strawberry.enum(
    onboarding.StepState,
    name="OnboardingState",
    description="NOT_STARTED: nothing set up; IN_PROGRESS: begun, goal not reached; DONE: "
    "working; NEEDS_ATTENTION: something the customer must fix (a failed domain, a certificate "
    "ending within 30 days, a failing log stream, an unlinked directory, undelivered invitations).",
)
OnboardingState = onboarding.StepState
strawberry.enum(
    onboarding.StepName,
    name="OnboardingStepName",
    description="The setup steps, in the order a customer usually takes them.",
)
OnboardingStepName = onboarding.StepName


@strawberry.interface(description="One setup step. Requires `organizations:read`.")
class OnboardingStep:
    name: OnboardingStepName = strawberry.field(description="Which step.")
    state: OnboardingState = strawberry.field(description="Where it stands.")
    completed: bool = strawberry.field(
        description="Its goal is reached (it may still need attention)."
    )


@strawberry.type(description="Domains: at least one verified.")
class DomainsStep(OnboardingStep):
    verified: int = strawberry.field(description="Verified domains.")
    pending: int = strawberry.field(description="Domains waiting for their DNS record.")
    failed: int = strawberry.field(description="Domains whose verification failed or lapsed.")


@strawberry.type(description="SSO: an active connection.")
class SsoStep(OnboardingStep):
    connections: int = strawberry.field(description="Connections in any state.")
    active_connections: int = strawberry.field(description="Connections people sign in with.")
    connection_state: ConnectionState | None = strawberry.field(
        description="The most advanced connection's state; null without one."
    )
    last_sign_in_at: datetime | None = strawberry.field(description="The last SSO sign-in.")
    certificate_expires_at: datetime | None = strawberry.field(
        description="When the active SAML connections' signing certificates end (the last "
        "one of each); NEEDS_ATTENTION within 30 days."
    )


@strawberry.type(description="Directory: a SCIM directory that has pushed.")
class DirectoryStep(OnboardingStep):
    directories: int = strawberry.field(description="Directories in any state.")
    directory_state: DirectoryState | None = strawberry.field(
        description="The provisioning directory's state; null without one."
    )
    last_sync_at: datetime | None = strawberry.field(description="The IdP's last SCIM request.")


@strawberry.type(description="Log streams: at least one, all delivering.")
class LogStreamsStep(OnboardingStep):
    streams: int = strawberry.field(description="Log streams.")
    failing: int = strawberry.field(description="Streams failing for three days.")
    disabled: int = strawberry.field(description="Streams the receiver disabled (410).")


@strawberry.type(description="Members: someone has joined.")
class MembersStep(OnboardingStep):
    active: int = strawberry.field(description="Active members.")
    pending: int = strawberry.field(description="Members not yet active.")
    inactive: int = strawberry.field(description="Deactivated members.")
    pending_invitations: int = strawberry.field(description="Open, unexpired invitations.")
    undelivered_invitations: int = strawberry.field(
        description="Open invitations whose email could not be delivered yet."
    )


def _step(step: onboarding.Step) -> OnboardingStep:
    f = step.facts
    n, st, done = step.name, step.state, step.completed
    if isinstance(f, onboarding.DomainFacts):
        return DomainsStep(
            name=n,
            state=st,
            completed=done,
            verified=f.verified,
            pending=f.pending,
            failed=f.failed,
        )
    if isinstance(f, onboarding.SsoFacts):
        return SsoStep(
            name=n,
            state=st,
            completed=done,
            connections=f.connections,
            active_connections=f.active,
            connection_state=f.state,
            last_sign_in_at=f.last_sign_in_at,
            certificate_expires_at=f.certificate_expires_at,
        )
    if isinstance(f, onboarding.DirectoryFacts):
        return DirectoryStep(
            name=n,
            state=st,
            completed=done,
            directories=f.directories,
            directory_state=f.state,
            last_sync_at=f.last_sync_at,
        )
    if isinstance(f, onboarding.LogStreamFacts):
        return LogStreamsStep(
            name=n,
            state=st,
            completed=done,
            streams=f.streams,
            failing=f.failing,
            disabled=f.disabled,
        )
    assert isinstance(f, onboarding.MemberFacts)
    return MembersStep(
        name=n,
        state=st,
        completed=done,
        active=f.active,
        pending=f.pending,
        inactive=f.inactive,
        pending_invitations=f.pending_invitations,
        undelivered_invitations=f.undelivered_invitations,
    )


@strawberry.type(
    description="How far an organization is with setup. Requires `organizations:read`."
)
class Onboarding:
    organization_id: strawberry.ID = strawberry.field(description="The organization (`org_…`).")
    state: OnboardingState = strawberry.field(
        description="NEEDS_ATTENTION if any step does; DONE when all are; NOT_STARTED when none "
        "has begun; otherwise IN_PROGRESS."
    )
    completed_steps: int = strawberry.field(description="Steps whose goal is reached.")
    total_steps: int = strawberry.field(description="Steps in all (5).")
    steps: list[OnboardingStep] = strawberry.field(description="Every step, in order.")
    domains: DomainsStep = strawberry.field(description="Verified email domains.")
    sso: SsoStep = strawberry.field(description="Single sign-on.")
    directory: DirectoryStep = strawberry.field(description="Directory sync (SCIM).")
    log_streams: LogStreamsStep = strawberry.field(description="Events to the customer's SIEM.")
    members: MembersStep = strawberry.field(description="People in the organization.")

    @classmethod
    def from_status(cls, s: onboarding.OnboardingStatus) -> Onboarding:
        steps = {step.name: _step(step) for step in s.steps}
        by_name = onboarding.StepName
        domains = steps[by_name.DOMAINS]
        sso = steps[by_name.SSO]
        directory = steps[by_name.DIRECTORY]
        log_streams = steps[by_name.LOG_STREAMS]
        members = steps[by_name.MEMBERS]
        assert isinstance(domains, DomainsStep)
        assert isinstance(sso, SsoStep)
        assert isinstance(directory, DirectoryStep)
        assert isinstance(log_streams, LogStreamsStep)
        assert isinstance(members, MembersStep)
        return cls(
            organization_id=strawberry.ID(s.organization_id),
            state=s.state,
            completed_steps=s.completed_steps,
            total_steps=s.total_steps,
            steps=list(steps.values()),
            domains=domains,
            sso=sso,
            directory=directory,
            log_streams=log_streams,
            members=members,
        )
