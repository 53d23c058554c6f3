"""Process wiring: settings, database, the Starlette app factory and the CLI."""
