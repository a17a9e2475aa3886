"""Comments and replies on posts, derived like everything else from hashes, so they appear over virtual
time: a post's ``comments_count`` at an instant (``World.media_values``) is exactly the number of its
comments and replies that exist then, and comment ``j`` appears when that count first exceeds ``j``.
About a third of the comments are replies to an earlier top-level comment. Comments on public posts
sometimes @mention one of our accounts (``mentioned_comment``)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ig_pipeline.simulator.draws import h64, unit
from ig_pipeline.simulator.entities import REELS, Media

_TEXTS = ["Love this!", "So good", "Where is this?", "Need this", "Amazing work", "Can't wait", "Beautiful",
          "How much?", "Great shot", "Yes please", "Wow", "Congrats!", "This made my day", "Saving this"]
_HANDLES = ["sunny", "milo", "ava", "leo", "zoe", "kai", "ivy", "max", "nia", "oli", "ray", "tess"]


@dataclass(frozen=True)
class Comment:
    id: str
    media: Media
    j: int
    ts: int
    parent: int | None  # index of the top-level comment this replies to
    username: str
    from_id: str
    text: str
    like_count: int
    mentions: str | None  # the username of our account @mentioned, if any

    @property
    def parent_id(self) -> str | None:
        return None if self.parent is None else comment_id(self.media.id, self.parent)


def comment_id(media_id: str, j: int) -> str:
    return f"181{media_id[3:]}{j:05d}"


def split_comment_id(cid: str) -> tuple[str, int] | None:
    if len(cid) != 21 or not cid.isdigit() or not cid.startswith("181"):
        return None
    return "179" + cid[3:16], int(cid[16:])


class Talk:
    CACHE = 2048  # posts whose reply structure is kept

    def __init__(self, world, public):
        self.world, self.public, self.seed = world, public, world.seed
        self._parents: dict[str, list[int | None]] = {}

    def count(self, m: Media, now: float) -> int:
        if m.child or m.is_story or m.ts > now:
            return 0
        return self.world.media_values(m, now)["comments"]

    def _appears(self, m: Media, j: int) -> int:
        """When the post's comment count first exceeds ``j`` (inverse of the growth curve)."""
        rate = self.world.media_potential(m) * (0.002 + 0.008 * unit(self.seed, "cm", m.id))
        tau = (60.0 if m.product == REELS else 18.0) * 3600
        share = min((j + 1) / rate, 0.999999) if rate > 0 else 0.999999
        return int(m.ts - tau * math.log(1 - share))  # floor: never after the instant it is counted

    def _known(self, m: Media, n: int) -> list[int | None]:
        """For comments 0..n-1 (at least): the top-level comment each replies to (None: top-level). A reply
        to a reply goes to the top-level comment, as on Instagram. Cached per post, extended as comments
        arrive."""
        known = self._parents.get(m.id)
        if known is None:
            if len(self._parents) >= self.CACHE:
                self._parents.clear()
            known = self._parents[m.id] = []
        for j in range(len(known), n):
            if j == 0 or unit(self.seed, "reply?", m.id, j) >= 0.33:
                known.append(None)
            else:
                i = h64(self.seed, "replyto", m.id, j) % j
                known.append(i if known[i] is None else known[i])
        return known

    def parents(self, m: Media, n: int) -> list[int | None]:
        return self._known(m, n)[:n]

    def comment(self, m: Media, j: int) -> Comment:
        h = h64(self.seed, "who", m.id, j)
        pub = self.public.accounts
        username = (pub[h % len(pub)].username if h % 3 == 0
                    else f"{_HANDLES[h % len(_HANDLES)]}_{h % 9973}")
        mentions = None
        if self.public.is_public(m.account) and unit(self.seed, "cmen?", m.id, j) < 0.01:
            mentions = self.world.accounts[h64(self.seed, "cmenwho", m.id, j) % self.public.own_count].username
        text = _TEXTS[h64(self.seed, "txt", m.id, j) % len(_TEXTS)] + (f" @{mentions}" if mentions else "")
        likes = int(12 * unit(self.seed, "clk", m.id, j) ** 3)
        return Comment(comment_id(m.id, j), m, j, self._appears(m, j), self._known(m, j + 1)[j], username,
                       f"5{h % 10 ** 15:015d}", text, likes, mentions)

    def mentioning(self, m: Media, now: float) -> list[Comment]:
        """The comments on a public post that @mention one of our accounts (cheap pre-check per index)."""
        if not self.public.is_public(m.account):
            return []
        return [self.comment(m, j) for j in range(self.count(m, now)) if unit(self.seed, "cmen?", m.id, j) < 0.01]

    def all(self, m: Media, now: float) -> list[Comment]:
        """Every comment and reply that exists at ``now``, oldest first."""
        return [self.comment(m, j) for j in range(self.count(m, now))]

    def top_level(self, m: Media, now: float) -> list[int]:
        """Indexes of the top-level comments that exist at ``now``, oldest first (no Comment built)."""
        return [j for j, p in enumerate(self.parents(m, self.count(m, now))) if p is None]

    def replies_to(self, m: Media, parent: int, now: float) -> list[int]:
        return [j for j, p in enumerate(self.parents(m, self.count(m, now))) if p == parent]

    def find(self, cid: str, now: float) -> Comment | None:
        parts = split_comment_id(cid)
        if parts is None:
            return None
        m = self.public.find_media(parts[0], now)
        if m is None or parts[1] >= self.count(m, now):
            return None
        return self.comment(m, parts[1])
