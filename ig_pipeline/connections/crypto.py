"""Stored tokens are encrypted with Fernet (MultiFernet: the first IG_TOKEN_KEYS key encrypts,
every key decrypts, so keys can be rotated without downtime). No plaintext fallback, ever."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ig_pipeline.config import ConfigError, Settings


class TokenCipher:
    def __init__(self, keys: tuple[str, ...]):
        if not keys:
            raise ConfigError("IG_TOKEN_KEYS is not set: stored tokens cannot be encrypted or read. "
                              "Generate a key with `python -c \"from cryptography.fernet import Fernet; "
                              "print(Fernet.generate_key().decode())\"`.")
        try:
            self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])
        except (ValueError, TypeError):
            raise ConfigError("IG_TOKEN_KEYS holds a key that is not a valid Fernet key "
                              "(32 url-safe base64-encoded bytes).") from None

    def __repr__(self) -> str:
        return "TokenCipher(***)"

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenCipher:
        return cls(settings.token_keys)

    def encrypt(self, token: str) -> bytes:
        return self._fernet.encrypt(token.encode())

    def decrypt(self, ciphertext: bytes) -> str:
        try:
            return self._fernet.decrypt(bytes(ciphertext)).decode()
        except InvalidToken:
            raise ConfigError("a stored token cannot be decrypted with any key of IG_TOKEN_KEYS "
                              "(wrong or rotated-out key)") from None

    def rotate(self, ciphertext: bytes) -> bytes:
        """Re-encrypt with the first key."""
        return self._fernet.rotate(bytes(ciphertext))
