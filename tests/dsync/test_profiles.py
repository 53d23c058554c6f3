"""IdP profiles as data: each profile's recorded session replays green; a quirk disabled in one
profile breaks exactly that profile's step that needs it, and no other profile's session."""

from __future__ import annotations

import dataclasses

import pytest

from gatehouse.models import DirectoryType
from gatehouse.scim import profiles
from gatehouse.scim.profiles import GENERIC, PROFILES, Quirk, profile_for
from tests.dsync.replay import (
    TRANSCRIPTS,
    directory_for,
    directory_type,
    first_step_with,
    member_states,
    replay,
)

QUIRK_STEPS = sorted(
    {(name, s["quirk"]) for name, t in TRANSCRIPTS.items() for s in t["steps"] if "quirk" in s}
)


def test_every_directory_type_has_a_profile_and_a_transcript():
    assert set(PROFILES) == set(DirectoryType)
    assert {directory_type(name) for name in TRANSCRIPTS} == set(DirectoryType)
    assert profile_for(DirectoryType.GENERIC_SCIM).quirks == frozenset(Quirk)
    # every quirk a transcript relies on is one its profile declares
    for name, quirk in QUIRK_STEPS:
        assert profile_for(directory_type(name)).allows(Quirk(quirk)), (name, quirk)


@pytest.mark.parametrize("name", list(TRANSCRIPTS))
async def test_transcript_replays_green(name, make_org, client):
    transcript = TRANSCRIPTS[name]
    scim = await directory_for(make_org, client, transcript, directory_type(name))
    assert await replay(scim, transcript) is None
    assert await member_states(scim.organization_id) == transcript["members"]


@pytest.mark.parametrize("name", list(TRANSCRIPTS))
async def test_generic_accepts_every_profiles_session(name, make_org, client):
    transcript = TRANSCRIPTS[name]
    scim = await directory_for(make_org, client, transcript, DirectoryType.GENERIC_SCIM)
    assert await replay(scim, transcript) is None
    assert await member_states(scim.organization_id) == transcript["members"]


@pytest.mark.parametrize(("name", "quirk"), QUIRK_STEPS)
async def test_disabling_a_quirk_breaks_exactly_its_step(
    name, quirk, make_org, client, monkeypatch
):
    # given the profile without this one quirk
    type_ = directory_type(name)
    own = profile_for(type_)
    monkeypatch.setitem(
        PROFILES, type_, dataclasses.replace(own, quirks=own.quirks - {Quirk(quirk)})
    )
    transcript = TRANSCRIPTS[name]
    scim = await directory_for(make_org, client, transcript, type_)
    failure = await replay(scim, transcript)
    if Quirk(quirk) is Quirk.USERNAME_AS_EMAIL:
        # then the IdP sees no error, but the UPN-only user has no email, so no member
        assert failure is None
        states = await member_states(scim.organization_id)
        assert set(states) < set(transcript["members"])
        return
    # then the session fails at the first step that needs it, with a SCIM 400
    assert failure is not None
    assert (failure.index, failure.status) == (first_step_with(transcript, quirk), 400), failure
    assert "profile" in failure.body


@pytest.mark.parametrize("name", [n for n in TRANSCRIPTS if n != "GENERIC"])
async def test_a_profile_stripped_of_quirks_changes_no_other(name, make_org, client, monkeypatch):
    # given one profile with every quirk switched off
    type_ = directory_type(name)
    monkeypatch.setitem(
        PROFILES, type_, dataclasses.replace(profile_for(type_), quirks=frozenset())
    )
    # then its own session fails, and every other profile's session still replays green
    own = TRANSCRIPTS[name]
    assert await replay(await directory_for(make_org, client, own, type_), own) is not None
    for other, transcript in TRANSCRIPTS.items():
        if other == name:
            continue
        scim = await directory_for(make_org, client, transcript, directory_type(other))
        assert await replay(scim, transcript) is None, other
    assert profiles.GENERIC is GENERIC
    assert GENERIC.quirks == frozenset(Quirk)
