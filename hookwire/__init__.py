"""Hookwire: webhooks for identity platforms, signed as ES256 JWTs."""

__version__ = "0.1.0"
