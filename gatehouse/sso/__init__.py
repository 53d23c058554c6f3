"""Single sign-on protocols and their HTTP routes: the SAML service provider (python3-saml),
the OIDC relying party (authlib, joserfc), and /sso/authorize, the ACS, the callback and
/sso/token. What happens once the IdP has answered is resolvers/sso."""
