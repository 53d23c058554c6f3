"""The README's "Audit logs and access history" examples, run as written (org id filled in)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).parents[2] / "README.md"


def _examples() -> list[str]:
    text = README.read_text()
    section = text.split("### Audit logs and access history", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```graphql\n(.*?)```", section, re.DOTALL)
    return [line for block in blocks for line in block.strip().splitlines()]


async def test_the_readme_examples_run(gql, operator_token, make_org):
    org = await make_org("Acme")
    examples = _examples()
    assert len(examples) == 6
    for example in examples:
        body = await gql(example.replace('"org_…"', f'"{org.id}"'), token=operator_token)
        assert "errors" not in body, (example, body)
        for payload in body["data"].values():
            if isinstance(payload, dict) and "userErrors" in payload:
                assert payload["userErrors"] == [], (example, payload)
    body = await gql(examples[2].replace('"org_…"', f'"{org.id}"'), token=operator_token)
    assert body["data"]["organization"]["auditLogs"]["totalCount"] == 1
