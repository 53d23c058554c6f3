"""Strawberry object types, one module per GraphQL type family."""
