"""Every operation acts as its caller: the events its mutations write name the Principal."""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from gatehouse.events.acting import acting


class ActAsPrincipal(SchemaExtension):
    """Sets the actor for the operation's duration (HTTP and websocket alike: a websocket's
    operations run in tasks of their own, so a value set at connection time would not do)."""

    def on_operation(self) -> Iterator[None]:
        principal = getattr(self.execution_context.context, "principal", None)
        if principal is None:
            yield
            return
        with acting(principal.audit_actor()):
            yield
