"""Replaying a recorded provisioning session (tests/dsync/transcripts/*.json) step by step
against a directory: each request as the IdP sends it, its expected status and body."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gatehouse.auth.principal import operator_principal
from gatehouse.models import DirectoryType, Domain, DomainState, Member
from gatehouse.resolvers.directories import lifecycle as directories
from tests.dsync.conftest import Scim

HERE = Path(__file__).parent / "transcripts"
TRANSCRIPTS = {p.stem.upper(): json.loads(p.read_text()) for p in sorted(HERE.glob("*.json"))}
_VAR = re.compile(r"\$\{(\w+)\}")


def directory_type(profile: str) -> DirectoryType:
    return DirectoryType.GENERIC_SCIM if profile == "GENERIC" else DirectoryType(profile)


@dataclass(frozen=True)
class Failure:
    index: int
    note: str
    status: int
    body: str


def _fill(value: Any, saved: dict[str, str]) -> Any:
    if isinstance(value, str):
        return _VAR.sub(lambda m: saved[m.group(1)], value)
    if isinstance(value, list):
        return [_fill(v, saved) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, saved) for k, v in value.items()}
    return value


def _contains(actual: Any, expected: Any) -> bool:
    if expected == {}:
        return True
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and _contains(actual[k], v) for k, v in expected.items()
        )
    return bool(actual == expected)


async def directory_for(make_org: Any, client: Any, transcript: dict, type_: DirectoryType) -> Scim:
    org = await make_org(f"Org of {transcript['profile']}")
    domain = transcript["domain"]
    await Domain.create(
        organization=org,
        domain=domain,
        verified_domain=domain,
        state=DomainState.VERIFIED,
        token="t",
    )
    directory, token = await directories.create_directory(
        operator_principal(), org.id, transcript["profile"].title(), type_
    )
    return Scim(client, directory.id, org.id, token)


async def replay(scim: Scim, transcript: dict) -> Failure | None:
    """The first step whose answer differs from the transcript, or None when all match."""
    saved: dict[str, str] = {}
    for index, step in enumerate(transcript["steps"]):
        body = _fill(step.get("body"), saved)
        response = await scim.call(step["method"], _fill(step["path"], saved), body)
        answer = response.json() if response.content else None
        if response.status_code != step["status"] or not _contains(
            answer, _fill(step.get("expect", {}), saved)
        ):
            return Failure(index, step["note"], response.status_code, response.text)
        for name, attribute in step.get("save", {}).items():
            saved[name] = answer[attribute]
    return None


async def member_states(organization_id: str) -> dict[str, str]:
    rows = await Member.filter(organization_id=organization_id).prefetch_related("user")
    return {m.user.email: m.status.value for m in rows}


def first_step_with(transcript: dict, quirk: str) -> int:
    return next(i for i, s in enumerate(transcript["steps"]) if s.get("quirk") == quirk)
