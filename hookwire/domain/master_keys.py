"""Encryption at rest with the master key ring: the first key encrypts, every key decrypts."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class MasterKeyError(ValueError):
    """The master keys are unusable, or a stored secret matches none of them."""


class MasterKeyRing:
    """Fernet (AES-128-CBC + HMAC-SHA256) under every configured master key.

    >>> ring = MasterKeyRing([Fernet.generate_key().decode()])
    >>> ring.decrypt(ring.encrypt(b"secret"))
    b'secret'
    """

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise MasterKeyError("no master key: set HOOKWIRE_SECRET_KEYS")
        try:
            self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])
        except ValueError:
            raise MasterKeyError(
                "HOOKWIRE_SECRET_KEYS must hold Fernet keys (32 url-safe base64 bytes each); "
                "make one with `python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`"
            ) from None

    def encrypt(self, plaintext: bytes) -> str:
        """Encrypt with the first master key."""
        return self._fernet.encrypt(plaintext).decode()

    def decrypt(self, token: str) -> bytes:
        """Decrypt with whichever master key made the token."""
        try:
            return self._fernet.decrypt(token.encode())
        except InvalidToken:
            raise MasterKeyError(
                "a stored secret matches none of the master keys in HOOKWIRE_SECRET_KEYS"
            ) from None

    def reencrypt(self, token: str) -> str:
        """Re-encrypt a token under the first key (master key rotation)."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise MasterKeyError("a stored secret matches none of the master keys") from None
