"""Webhooks (API.md §10): the address guard, signing, and (next) the outbox dispatcher."""
