"""The audit trail as a product: the operator's own audit events and their schemas, reading
and exporting entries, retention, and access as of any moment (membership periods)."""
