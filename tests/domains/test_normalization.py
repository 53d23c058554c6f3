"""Every malformed or unclaimable domain gets a userError and creates nothing."""

from __future__ import annotations

import pytest

from gatehouse.models import Domain, Event, Organization
from gatehouse.resolvers.domains.names import normalize_domain

REFUSED = [
    # the acceptance list
    ("gmail.com", "PUBLIC_EMAIL_PROVIDER"),
    ("com", "SINGLE_LABEL_DOMAIN"),
    ("*.acme.com", "WILDCARD_DOMAIN"),
    ("1.2.3.4", "DOMAIN_IS_IP"),
    ("https://acme.com/x", "DOMAIN_IS_URL"),
    ("bob@acme.com", "DOMAIN_IS_EMAIL"),
    # public mail providers from the maintained list, and their subdomains
    ("outlook.com", "PUBLIC_EMAIL_PROVIDER"),
    ("yahoo.com", "PUBLIC_EMAIL_PROVIDER"),
    ("icloud.com", "PUBLIC_EMAIL_PROVIDER"),
    ("proton.me", "PUBLIC_EMAIL_PROVIDER"),
    ("tuta.io", "PUBLIC_EMAIL_PROVIDER"),
    ("GMail.COM.", "PUBLIC_EMAIL_PROVIDER"),
    ("mail.gmail.com", "PUBLIC_EMAIL_PROVIDER"),
    # public suffixes, from the public suffix list (ICANN and private sections)
    ("co.uk", "PUBLIC_SUFFIX"),
    ("github.io", "PUBLIC_SUFFIX"),
    ("com.", "SINGLE_LABEL_DOMAIN"),
    # addresses and other pasted mistakes
    ("::1", "DOMAIN_IS_IP"),
    ("[2001:db8::1]", "DOMAIN_IS_IP"),
    ("10.0.0.1.", "DOMAIN_IS_IP"),
    ("acme.com:443", "DOMAIN_IS_URL"),
    ("acme.com/path", "DOMAIN_IS_URL"),
    ("mailto:bob@acme.com", "DOMAIN_IS_EMAIL"),
    ("*", "WILDCARD_DOMAIN"),
    ("localhost", "SINGLE_LABEL_DOMAIN"),
    ("", "REQUIRED"),
    ("   ", "REQUIRED"),
    ("acme..com", "INVALID_DOMAIN"),
    (".acme.com", "INVALID_DOMAIN"),
    ("-acme.com", "INVALID_DOMAIN"),
    ("acme_corp.com", "INVALID_DOMAIN"),
    ("ac me.com", "INVALID_DOMAIN"),
    ("a" * 64 + ".com", "INVALID_DOMAIN"),
    (".".join(["a" * 60] * 5) + ".com", "INVALID_DOMAIN"),
]


@pytest.mark.parametrize(("value", "code"), REFUSED)
async def test_unclaimable_domain_is_refused_and_creates_nothing(make_org, add, value, code):
    org = await make_org()
    events_before = await Event.all().count()
    result = await add(org.id, value)
    assert result["domain"] is None
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [(["domain"], code)]
    assert await Domain.all().count() == 0
    assert await Event.all().count() == events_before


@pytest.mark.parametrize(
    ("value", "ascii_name", "unicode_name"),
    [
        ("  Acme.COM.  ", "acme.com", "acme.com"),
        ("eu.acme.com", "eu.acme.com", "eu.acme.com"),
        ("acme.co.uk", "acme.co.uk", "acme.co.uk"),
        ("résumé.example", "xn--rsum-bpad.example", "résumé.example"),
        ("xn--rsum-bpad.example", "xn--rsum-bpad.example", "résumé.example"),
        ("Straße.de", "xn--strae-oqa.de", "straße.de"),
        ("acme.github.io", "acme.github.io", "acme.github.io"),
    ],
)
def test_normalized_spelling(value, ascii_name, unicode_name):
    name = normalize_domain(value)
    assert (name.ascii, name.unicode) == (ascii_name, unicode_name)


async def test_same_domain_twice_in_one_org_is_refused(make_org, add):
    org = await make_org()
    first = await add(org.id, "acme.com")
    assert first["userErrors"] == []
    events_before = await Event.all().count()
    again = await add(org.id, "ACME.com.")
    assert [e["code"] for e in again["userErrors"]] == ["DOMAIN_ALREADY_ADDED"]
    assert await Domain.all().count() == 1
    assert await Event.all().count() == events_before


async def test_unknown_organization_is_not_found(add, db):
    result = await add("org_01JAAAAAAAAAAAAAAAAAAAAAAA", "acme.com")
    assert [e["code"] for e in result["userErrors"]] == ["NOT_FOUND"]
    bad = await add("not-an-id", "acme.com")
    assert [e["code"] for e in bad["userErrors"]] == ["INVALID_ID"]
    assert await Domain.all().count() == 0


async def test_create_organization_refuses_every_malformed_domain_at_its_index(
    gql, operator_token, db
):
    values = [value for value, _ in REFUSED]
    events_before = await Event.all().count()
    body = await gql(
        """mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) {
             organization { id } userErrors { field code } } }""",
        {"i": {"name": "Acme", "domains": ["fine.example", *values]}},
        token=operator_token,
    )
    payload = body["data"]["createOrganization"]
    assert payload["organization"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        (["domains", str(index + 1)], code) for index, (_, code) in enumerate(REFUSED)
    ]
    assert await Organization.all().count() == 0
    assert await Domain.all().count() == 0
    assert await Event.all().count() == events_before
