"""The README's examples for product roles run as written, in order, without userErrors."""

from __future__ import annotations

import re
from pathlib import Path

from tests.sso.helpers import saml_connection
from tests.sso.saml_idp import make_keypair

README = Path(__file__).resolve().parents[2] / "README.md"


def _examples() -> list[str]:
    text = README.read_text()
    section = text[
        text.index("### Roles and permissions for your product") : text.index(
            "### Domains and sign-in routing"
        )
    ]
    documents = []
    for block in re.findall(r"```graphql\n(.*?)```", section, re.DOTALL):
        documents += re.split(r"\n(?=mutation )", block.strip())
    return documents


async def test_readme_examples_run(gql, operator_token, make_org):
    org = await make_org("Acme")
    conn = await saml_connection(org, [make_keypair()], activate=False)
    examples = _examples()
    assert len(examples) == 7
    for example in examples:
        document = example.replace('"org_…"', f'"{org.id}"').replace('"conn_…"', f'"{conn.id}"')
        body = await gql(document, token=operator_token)
        assert body.get("errors") is None, (document, body)
        payload = next(iter(body["data"].values()))
        assert payload["userErrors"] == [], (document, payload)
