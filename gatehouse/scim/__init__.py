"""SCIM 2.0 server (RFC 7643 / RFC 7644): Users, Groups and discovery, one directory per URL."""
