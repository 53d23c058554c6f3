"""The onboarding lifecycle as plain async functions, one module or package per area. Each takes
a Principal and plain arguments, returns models, and raises typed domain errors (errors.py);
GraphQL, SCIM, SSO and the portal all call these."""
