"""Gatehouse: self-hosted organization and onboarding service for B2B SaaS products."""

__version__ = "0.1.0"
