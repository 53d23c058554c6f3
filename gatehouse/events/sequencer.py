"""Stamps committed events with their commit-ordered position (SECURITY.md 38a).

An event's id is taken when its row is inserted, but transactions commit in any order: on
PostgreSQL a reader paging by id at `evt_10` can see `evt_12` before `evt_11` commits, and
would skip `evt_11` for ever. So readers never page by id. After commit, one sequencer at a
time (a transaction-level advisory lock on PostgreSQL; SQLite serialises writers anyway)
gives every committed, unsequenced event the next position. An event still uncommitted is
invisible to it and gets a later position once it commits, so a reader that has seen
position N will see every event that ever gets a position above N: nothing is skipped, and
nothing waits on a fixed delay.
"""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.transactions import in_transaction

# Any constant identifying "the event sequencer" among the deployment's advisory locks.
ADVISORY_LOCK_KEY = 0x6761746568  # "gateh"
BATCH = 1000

# One statement: positions continue from the highest one; per-organization sequence numbers
# continue from that organization's highest. The batch is the oldest unsequenced ids, so
# within one commit events keep their creation order.
# BATCH is a constant: no input ever reaches this SQL text.
_STAMP = f"""
WITH base AS (SELECT COALESCE(MAX(position), 0) AS p FROM events),
batch AS (
    SELECT id, organization_id,
           ROW_NUMBER() OVER (ORDER BY id) AS rn,
           ROW_NUMBER() OVER (PARTITION BY organization_id ORDER BY id) AS orn
    FROM events WHERE position IS NULL ORDER BY id LIMIT {BATCH}
)
UPDATE events SET
    position = (SELECT p FROM base) + batch.rn,
    organization_sequence = CASE WHEN batch.organization_id IS NULL THEN NULL ELSE
        batch.orn + COALESCE((SELECT MAX(e2.organization_sequence) FROM events e2
                              WHERE e2.organization_id = batch.organization_id), 0) END
FROM batch WHERE events.id = batch.id
"""  # noqa: S608


# PostgreSQL answers with the positions it gave (and so with their count; a bare UPDATE read
# through Tortoise's fetch path counts 0). Under the lock the highest is the head, which
# spares a query after commit. SQLite keeps the plain statement and asks for the head.
_STAMP_RETURNING = _STAMP + "RETURNING events.position\n"


async def sequence_pending() -> int:
    """Sequence what has committed; returns the highest position (0 when there is none)."""
    while True:
        async with in_transaction() as conn:
            if conn.capabilities.dialect == "postgres":
                await conn.execute_query(f"SELECT pg_advisory_xact_lock({ADVISORY_LOCK_KEY})")
                count, rows = await conn.execute_query(_STAMP_RETURNING)
            else:
                count, rows = await conn.execute_query(_STAMP)
        if count < BATCH:
            if rows:
                return max(int(dict(row)["position"]) for row in rows)
            return await head_position()


async def head_position() -> int:
    conn = Tortoise.get_connection("default")
    _, rows = await conn.execute_query("SELECT COALESCE(MAX(position), 0) AS p FROM events")
    return int(dict(rows[0])["p"])
