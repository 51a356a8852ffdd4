"""Sfumato: a self-hosted image generation service."""

__version__ = "0.1.0"
