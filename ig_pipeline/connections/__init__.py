"""The connected Instagram accounts: the only package that reads or writes ``instagram_connection``.

- ``store``: every query of the table (active accounts with decrypted tokens, owners, disconnect,
  the rows the OAuth callback stores, the queries sensors, reports and export need).
- ``ownership``: who owns an account and the only ways that changes (connect, transfer, revoked links).
- ``crypto``: the token cipher (Fernet; keys from configuration).
- ``lifecycle``: token upkeep (refresh or flag for reconnection) and needs-reauth.

The OAuth web handler, the assets, the sensors and the export all go through it; it imports
neither Dagster nor the web handler.
"""
