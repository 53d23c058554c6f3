"""Events: the transactional outbox every change writes to, and (later) the bus and delivery."""

from gatehouse.events.outbox import record_event

__all__ = ["record_event"]
