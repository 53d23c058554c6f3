"""Credentials: who is calling (Principal, permissions) and how that is proven (API keys,
sessions, portal sessions), with the secret helpers they share (hashing, encryption)."""
