"""People signing in: routing an email to its organization, emailed codes, choosing an
organization, and the sessions every way in ends with (access and refresh tokens)."""
