"""The profile fields of an IG User node, the same whether the account is read directly (its own
token) or through Business Discovery (another account's public profile)."""

from __future__ import annotations

from ig_pipeline.simulator.draws import h64
from ig_pipeline.simulator.media import cdn_url

ABSENT = object()  # the field is not a profile field, or the account has no value (no website): omitted


def profile_field(w, account, name: str, now: float):
    if name == "username":
        return account.username
    if name == "name":
        return account.name
    if name == "ig_id":
        return int(h64(w.seed, "igu", account.id) % 10 ** 10)
    if name == "biography":
        return f"{account.name} — official account"
    if name == "website":
        return account.website or ABSENT
    if name == "profile_picture_url":
        return cdn_url(w.seed, account.id, now, "jpg")
    if name == "followers_count":
        return w.followers_now(account, now)
    if name == "follows_count":
        return account.follows_count
    if name == "media_count":
        return w.media_count(account, now)
    return ABSENT
