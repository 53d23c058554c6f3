"""The request recorder: the last SCIM requests per directory and sign-in attempts per
connection, redacted and masked before they are stored, readable by the organization's admins."""
