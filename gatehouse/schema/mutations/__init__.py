"""Mutations, one class per area; schema/__init__.py combines them into `Mutation`."""
