"""Validation of every operation: size limits first, then the GraphQL rules, each bounded.

One extension does it all, in this order, so the cheap checks shield the costly ones:
0. a caller without a credential gets only documents that need none (`acceptInvitation`);
1. depth, aliases and cost (schema/operation_cost.py), linear in the document however its
   fragments spread, refused with DEPTH_LIMIT_EXCEEDED, ALIAS_LIMIT_EXCEEDED or
   COST_LIMIT_EXCEEDED before any rule runs;
2. the specification's rules, with field merging (the one rule whose work can grow faster
   than the document) held to a work budget, refused with VALIDATION_LIMIT_EXCEEDED past it;
3. no "Did you mean …?" suggestions where introspection is off: they would rebuild the schema
   name by name (SECURITY 52).

Results are cached by document text (validation) and by text plus page-size variables (size).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterator
from typing import Any, Generic, TypeVar

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    specified_rules,
    validate,
)
from graphql.language import StringValueNode
from graphql.validation import (
    NoSchemaIntrospectionCustomRule,
    OverlappingFieldsCanBeMergedRule,
    ValidationRule,
)
from graphql.validation.validate import ValidationAbortedError
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from gatehouse.schema.operation_cost import DocumentMeasurer, fragments_of
from gatehouse.settings import Settings

# Units of graphql-core's field-merging budget (about one per comparison of two fields of the
# same name, ~1.5 µs each). Documents without repeated fields spend none (GraphiQL's
# introspection query); an Apollo-style dashboard page whose fragments repeat `id` and
# `__typename` spends about 150. graphql-core's own default, 500,000, lets one document hold a
# core for most of a second.
FIELD_MERGING_BUDGET = 5_000
CACHE_SIZE = 256
# What a caller without a credential may send: mutations that carry their own credential
# (an invitation token), in documents small enough to parse in well under a millisecond.
ANONYMOUS_ROOT_FIELDS = frozenset({"acceptInvitation"})
ANONYMOUS_MAX_TOKENS = 200

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        if len(self._items) > self.size:
            self._items.popitem(last=False)


class BudgetedFieldMerging(OverlappingFieldsCanBeMergedRule):
    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.rule_context.remaining_complexity_budget = FIELD_MERGING_BUDGET


class NoNulInStrings(ValidationRule):
    """A string literal may not hold a NUL (`"\\u0000"`): PostgreSQL refuses one in any text
    value, so the resolver's first query would fail as an internal error. Variables are
    checked where their JSON is decoded (gatehouse/inbound.py)."""

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        if "\x00" in node.value:
            self.report_error(
                GraphQLError(
                    "A string holds a NUL character (U+0000), which no text value accepts.",
                    node,
                    extensions={"code": "BAD_USER_INPUT"},
                )
            )


RULES: tuple[type[Any], ...] = (
    *(
        BudgetedFieldMerging if rule is OverlappingFieldsCanBeMergedRule else rule
        for rule in specified_rules
    ),
    # Strawberry's own rules for `Maybe` and @oneOf inputs (it adds them in its validation).
    MaybeNullValidationRule,
    OneOfInputValidationRule,
    NoNulInStrings,
)


def limit_error(message: str, code: str, **extensions: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **extensions})


class OperationValidator:
    """The checks of one schema and its settings; shared by every operation."""

    def __init__(self, schema: GraphQLSchema, settings: Settings) -> None:
        self.schema = schema
        self.settings = settings
        self.hide_suggestions = not settings.introspection_enabled
        self.rules = (
            RULES
            if settings.introspection_enabled
            else (
                *RULES,
                NoSchemaIntrospectionCustomRule,
            )
        )
        self._validated: LRU[str, list[GraphQLError]] = LRU(CACHE_SIZE)
        self._page_variables: LRU[str, tuple[str, ...]] = LRU(CACHE_SIZE)
        self._sized: LRU[tuple[Any, ...], list[GraphQLError]] = LRU(CACHE_SIZE)

    def errors(
        self, query: str | None, document: DocumentNode, variables: dict[str, Any] | None
    ) -> list[GraphQLError]:
        sized = self._size_errors(query, document, variables)
        if sized:
            return sized
        if query is None:  # a document without text: nothing to cache it by
            return self._rule_errors(document)
        validated = self._validated.get(query)
        if validated is None:
            validated = self._rule_errors(document)
            self._validated.put(query, validated)
        return validated

    def _size_errors(
        self, query: str | None, document: DocumentNode, variables: dict[str, Any] | None
    ) -> list[GraphQLError]:
        # The size depends on the text and on the variables that set page sizes, if any.
        names = self._page_variables.get(query) if query is not None else None
        if names is not None:
            known = self._sized.get((query, *_values(variables, names)))
            if known is not None:
                return known
        measurer, errors = self._measure(document, variables)
        if query is not None:
            names = tuple(sorted(measurer.page_variables))
            self._page_variables.put(query, names)
            self._sized.put((query, *_values(variables, names)), errors)
        return errors

    def _measure(
        self, document: DocumentNode, variables: dict[str, Any] | None
    ) -> tuple[DocumentMeasurer, list[GraphQLError]]:
        settings = self.settings
        measurer = DocumentMeasurer(self.schema, fragments_of(document.definitions), variables)
        operations = [
            measurer.operation(d)
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
        ]
        errors: list[GraphQLError] = []
        for op in operations:
            if op.measure.depth > settings.graphql_max_depth:
                errors.append(
                    limit_error(
                        f"'{op.name}' exceeds maximum operation depth of "
                        f"{settings.graphql_max_depth}",
                        "DEPTH_LIMIT_EXCEEDED",
                        maxDepth=settings.graphql_max_depth,
                    )
                )
            if op.measure.cost > settings.graphql_max_cost:
                errors.append(
                    limit_error(
                        f"'{op.name}' costs {op.measure.cost} (objects it may return, page "
                        f"sizes multiplied through nested lists); the limit is "
                        f"{settings.graphql_max_cost}. Ask for smaller pages or fewer "
                        "nested lists.",
                        "COST_LIMIT_EXCEEDED",
                        cost=op.measure.cost,
                        maxCost=settings.graphql_max_cost,
                    )
                )
        aliases = sum(op.measure.aliases for op in operations)
        if aliases > settings.graphql_max_aliases:
            errors.append(
                limit_error(
                    f"{aliases} aliases found. Allowed: {settings.graphql_max_aliases}",
                    "ALIAS_LIMIT_EXCEEDED",
                    maxAliases=settings.graphql_max_aliases,
                )
            )
        return measurer, errors

    def _rule_errors(self, document: DocumentNode) -> list[GraphQLError]:
        errors = validate(self.schema, document, self.rules, hide_suggestions=self.hide_suggestions)
        return [_explained(e) for e in errors]


def _values(variables: dict[str, Any] | None, names: tuple[str, ...]) -> list[Any]:
    given = variables or {}
    return [repr(given.get(name)) for name in names]


def _explained(error: GraphQLError) -> GraphQLError:
    if not isinstance(error, ValidationAbortedError):
        return error
    return limit_error(
        "Validation stopped: the document has too many errors or is too complex to check "
        "(many fields of the same name, or many fragments, at one level).",
        "VALIDATION_LIMIT_EXCEEDED",
    )


def anonymous_allowed(document: DocumentNode) -> bool:
    """Whether a caller without a credential may run this document: only mutations whose root
    fields all take their credential as an argument."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return bool(operations) and all(
        op.operation is OperationType.MUTATION
        and all(
            isinstance(s, FieldNode) and s.name.value in ANONYMOUS_ROOT_FIELDS
            for s in op.selection_set.selections
        )
        for op in operations
    )


def _anonymous(context: Any) -> bool:
    principal = getattr(context, "principal", None)
    return principal is None or not principal.is_authenticated


class ValidateOperation(SchemaExtension):
    """Runs the OperationValidator in Strawberry's validation step (replacing its own), and
    keeps callers without a credential to small documents that need none."""

    def __init__(self, validator: OperationValidator) -> None:
        self.validator = validator

    def on_operation(self) -> Iterator[None]:
        settings = self.validator.settings
        anonymous = _anonymous(self.execution_context.context)
        self.execution_context.parse_options["max_tokens"] = (
            ANONYMOUS_MAX_TOKENS if anonymous else settings.graphql_max_tokens
        )
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        assert document is not None
        if _anonymous(context.context) and not anonymous_allowed(document):
            # Refused before any rule runs: validation is work a caller must be known for.
            context.pre_execution_errors = [
                limit_error("Authentication required.", "UNAUTHENTICATED")
            ]
        else:
            # Strawberry validates only when this is still None; an empty list means "valid".
            context.pre_execution_errors = self.validator.errors(
                context.query, document, context.variables
            )
        yield
