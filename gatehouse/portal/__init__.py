"""Admin Portal: the setup pages a customer's IT admin opens from a setup link."""

from gatehouse.portal.routes import routes as page_routes
from gatehouse.portal.sso_test_routes import routes as sso_test_routes

routes = [*sso_test_routes, *page_routes]

__all__ = ["routes"]
