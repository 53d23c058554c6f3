"""Operation limits and error masking, applied to every operation before execution."""

from __future__ import annotations

import logging
from collections.abc import Callable

from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

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


def extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Factories, so every operation gets fresh extension instances."""
    # The depth and alias limiters build a new rule class per instance; ValidationCache keys
    # on the rule classes, so fresh classes per operation made every validation a miss.
    # Build the rules once and reuse them: same checks, and validation is cached again.
    limit_rules = [
        *QueryDepthLimiter(max_depth=settings.graphql_max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases).validation_rules,
    ]
    rules: list[Callable[[], SchemaExtension]] = [
        lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        lambda: AddValidationRules(limit_rules),
        MaskUnexpectedErrors,
        # Dashboards repeat the same few documents: parse and validate each once.
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
    ]
    if not settings.introspection_enabled:
        rules.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
    return rules
