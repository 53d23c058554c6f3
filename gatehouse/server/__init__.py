"""Process wiring: the Starlette app factory, the GraphQL view, middleware, database start-up
and the CLI. Nothing imports it; it imports what it wires."""
