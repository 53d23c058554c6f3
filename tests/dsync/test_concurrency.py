"""Concurrent PATCHes to one group lose nothing: the group row is locked (FOR UPDATE)."""

from __future__ import annotations

import asyncio

import httpx

from gatehouse.models import DirectoryGroupMember, DirectoryUser, Event
from tests.dsync.conftest import PATCH_SCHEMA, serve


async def test_twenty_concurrent_group_patches(settings, scim):
    # given 40 users, the first 20 already in the group
    users = [
        DirectoryUser(
            directory_id=scim.directory_id,
            user_name=f"u{i}",
            user_name_lower=f"u{i}",
            resource={"userName": f"u{i}"},
        )
        for i in range(40)
    ]
    await DirectoryUser.bulk_create(users)
    ids = [u.id for u in users]
    group = await scim.create_group("Eng", ids[:20])
    # when 20 PATCHes at once (through a real server) each remove one old and add one new
    async with serve(settings) as url, httpx.AsyncClient(base_url=url, timeout=60) as http:

        async def patch(i: int) -> int:
            response = await http.patch(
                f"{scim.base}/Groups/{group['id']}",
                json={
                    "schemas": [PATCH_SCHEMA],
                    "Operations": [
                        {"op": "remove", "path": f'members[value eq "{ids[i]}"]'},
                        {"op": "add", "path": "members", "value": [{"value": ids[20 + i]}]},
                    ],
                },
                headers={"Authorization": f"Bearer {scim.token}"},
            )
            return response.status_code

        statuses = await asyncio.gather(*(patch(i) for i in range(20)))
    # then every add and every removal applied
    assert statuses == [204] * 20
    members = await DirectoryGroupMember.filter(group_id=group["id"]).values_list(
        "directory_user_id", flat=True
    )
    assert sorted(members) == sorted(ids[20:])
    assert await Event.filter(type="dsync.group.user_added").count() == 40
    assert await Event.filter(type="dsync.group.user_removed").count() == 20
