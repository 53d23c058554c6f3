"""Directories (SCIM): their lifecycle, tokens and group → role mappings, and applying what
they push to members and roles."""
