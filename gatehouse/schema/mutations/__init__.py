"""Mutation roots, one module per area, merged into `Mutation` by `gatehouse.schema`."""
