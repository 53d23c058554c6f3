"""SSO connections (SAML and OIDC settings, their lifecycle and upkeep) and finishing a
sign-in whichever protocol ran it: profile → user and member → one-time code."""
