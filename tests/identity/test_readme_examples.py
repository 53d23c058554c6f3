"""The README's "People as records" examples, run as written (placeholders filled in order)."""

from __future__ import annotations

import re
from pathlib import Path

from gatehouse.auth.principal import operator_principal
from gatehouse.models import User
from gatehouse.resolvers import members, organizations

README = Path(__file__).parents[2] / "README.md"


def _examples() -> list[str]:
    text = README.read_text()
    section = text.split("### People as records", 1)[1].split("\n### ", 1)[0]
    blocks = re.findall(r"```graphql\n(.*?)```", section, re.DOTALL)
    # One operation per line that starts a document; continuation lines are indented.
    return [op for block in blocks for op in re.split(r"\n(?=[{m])", block.strip())]


async def test_the_readme_examples_run(gql, operator_token, make_org):
    org = await make_org("Acme")
    await organizations.update_organization(operator_principal(), org.id, external_id="acct_7")
    grace = await members.create_member(operator_principal(), org.id, "grace@acme.com")
    twin = await members.create_member(operator_principal(), org.id, "grace.twin@acme.com")
    fill = {"user_…": [twin.user_id, grace.user_id], "org_…": [org.id]}
    examples = _examples()
    assert len(examples) == 6

    for example in examples:
        document = example
        for placeholder, values in fill.items():
            for value in values if example.startswith("mutation { merge") else values[-1:]:
                document = document.replace(f'"{placeholder}"', f'"{value}"', 1)
        body = await gql(document, token=operator_token)
        assert "errors" not in body, (document, body)
        for payload in body["data"].values():
            if isinstance(payload, dict) and "userErrors" in payload:
                assert payload["userErrors"] == [], (document, payload)

    # the examples did what they say: the merge left Grace, whose profile the update set
    user = await User.get(id=grace.user_id)
    assert (user.first_name, user.external_id, user.metadata) == (
        "Grace",
        "crm-42",
        {"plan": "pro"},
    )
    assert not await User.exists(id=twin.user_id)
