"""The scim2-tester compliance checker against a real uvicorn server on an ephemeral port."""

from __future__ import annotations

import asyncio

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from tests.dsync.conftest import serve

FAILING = {Status.ERROR, Status.CRITICAL}


def _run_checker(base_url: str, token: str) -> list:
    with httpx2.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as http:
        return check_server(SyncSCIMClient(http), resource_types=["User", "Group"])


async def test_scim2_tester_reports_no_errors(settings, scim):
    # given the real server on a socket
    async with serve(settings) as url:
        # when the compliance checker runs its discovery, Users and Groups checks
        results = await asyncio.to_thread(_run_checker, f"{url}{scim.base}", scim.token)
    # then it ran checks of every kind, and none failed
    titles = {r.title for r in results}
    assert {"service_provider_config_endpoint", "check_add_attribute"} <= titles
    assert {r.resource_type for r in results} >= {"User", "Group"}
    failures = [(r.title, r.status.name, r.reason) for r in results if r.status in FAILING]
    assert failures == []
