"""Events: the transactional outbox every change writes to, the sequencer that orders it, the
bus and hub that fan it out to subscriptions, and the worker that delivers it to webhooks and
log streams.
"""

from gatehouse.events.outbox import record_event

__all__ = ["record_event"]
