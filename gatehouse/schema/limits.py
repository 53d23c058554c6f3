"""The extensions every operation runs through: the parse cache, validation with its token and
size limits (schema/validation.py), and masking of unexpected errors."""

from __future__ import annotations

import logging
from collections.abc import Callable

from graphql import GraphQLError, GraphQLSchema
from strawberry.extensions import MaskErrors, ParserCache, SchemaExtension

from gatehouse.schema.acting import ActAsPrincipal
from gatehouse.schema.validation import OperationValidator, ValidateOperation
from gatehouse.settings import Settings

log = logging.getLogger("gatehouse.graphql")


def is_unexpected(error: GraphQLError) -> bool:
    # Errors we raised on purpose are GraphQLErrors; validation errors have no original.
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    """Replaces unexpected errors by a message with the request id; logs the real one."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request_id = getattr(self.execution_context.context, "request_id", "-")
        log.error(
            "unexpected error in %s (request %s)",
            ".".join(str(p) for p in error.path or []) or "operation",
            request_id,
            exc_info=error.original_error,
        )
        return GraphQLError(
            message=f"Internal error. Reference: {request_id}",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": "INTERNAL", "requestId": request_id},
        )


def extensions(schema: GraphQLSchema, settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Factories, so every operation gets fresh extension instances (the validator and its
    caches are shared)."""
    validator = OperationValidator(schema, settings)
    return [
        MaskUnexpectedErrors,
        # Dashboards repeat the same few documents: parse each once.
        lambda: ParserCache(maxsize=256),
        lambda: ValidateOperation(validator),
        # Events written by the operation name its caller (models/acting.py).
        ActAsPrincipal,
    ]
