"""Webhooks (docs/webhooks.md): the address guard, signing, and (next) the outbox dispatcher."""
