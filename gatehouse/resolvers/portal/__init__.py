"""The Admin Portal: setup links, the sessions they start, the setup checklist, and the SSO
page's test sign-in."""
