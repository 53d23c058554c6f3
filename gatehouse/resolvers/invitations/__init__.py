"""Invitations: invite by email with a role, deliver the mail (and retry it), accept by token."""
