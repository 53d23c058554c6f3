"""Prints the GraphQL schema (SDL); `make schema` writes it to schema/schema.graphql."""

from gatehouse.schema import build_schema

if __name__ == "__main__":
    print(build_schema().as_str())  # noqa: T201
