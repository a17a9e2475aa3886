"""The OAuth web handler (connect an Instagram account), webhook receiver and token lifecycle."""
