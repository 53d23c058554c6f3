"""Admin Portal: the setup pages a customer's IT admin opens from a setup link."""

from gatehouse.portal.routes import routes

__all__ = ["routes"]
