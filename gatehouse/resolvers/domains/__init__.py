"""Email domains: what may be claimed, claims, DNS verification and its re-checks, and which
organization owns an email."""
