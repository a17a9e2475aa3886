"""The public side of the world: other people's Instagram accounts (competitors) that our users can look at
with Business Discovery and find through hashtags, and the hashtags themselves.

Public accounts are drawn like our own accounts (same follower growth and posting model, so their counts move
day to day) but belong to nobody who logs in. Some are age-gated or personal (Business Discovery refuses
them), some hide like counts on part of their posts. Every post's hashtags are in its caption: our own
accounts' posts carry ``#{word}`` (the word of their username), public posts carry ``#{word}`` and one or two
topic hashtags, so a hashtag's media mix public posts and our own users' posts."""

from __future__ import annotations

from ig_pipeline.simulator.days import DAY, pacific_ordinal
from ig_pipeline.simulator.draws import h64, unit
from ig_pipeline.simulator.entities import Account, Media
from ig_pipeline.simulator.population import draw_account

PUBLIC_ACCOUNTS = 40
PUBLIC_INDEX = 90000  # public accounts' indexes start here (media ids carry the index in 5 digits)
TOPICS = ("coffee", "latte", "travel", "foodie", "sunset", "design", "bakery", "streetart", "vintage", "fitness")
SENSITIVE = ("nsfw", "drugs", "gore", "hate")  # answered with the generic error, as Meta does for such tags
_SUFFIX = ("roasters", "studio", "collective", "kitchen", "outfitters", "atelier")
AGE_GATED, PERSONAL = "AGE_GATED", "PERSONAL"


def hashtag_id(name: str) -> str:
    """Static and global, like Meta's: the same name gives the same id in every simulator."""
    return f"17843{h64('hashtag', name) % 10 ** 12:012d}"


def word_of(a: Account) -> str:
    return a.username.split(".")[0]


class PublicPopulation:
    def __init__(self, world, count: int = PUBLIC_ACCOUNTS):
        self.world = world
        self.seed = world.seed
        self.own_count = len(world.accounts)  # fixed at birth so tags/mentions never move between accounts
        self.accounts: list[Account] = []
        self.kind: dict[str, str] = {}
        for j in range(count):
            a = draw_account(self.seed, PUBLIC_INDEX + j, "", world.ref_day, None)
            word = word_of(a)
            a.username = f"{word}.{_SUFFIX[j % len(_SUFFIX)]}{j + 1}"
            a.name = f"{word.title()} {_SUFFIX[j % len(_SUFFIX)].title()}"
            a.rate_old = a.rate_recent = 1 + 3 * unit(self.seed, "pubrate", j)  # busier than our accounts
            a.content_start = world.ref_day - 90 - int(60 * unit(self.seed, "pubstart", j))  # 3–5 months of posts
            if j % 8 == 3:
                self.kind[a.id] = AGE_GATED
            elif j % 8 == 6:
                self.kind[a.id] = PERSONAL
                a.account_type = PERSONAL
            else:
                self.kind[a.id] = a.account_type
            self.accounts.append(a)
        self.by_username = {a.username: a for a in self.accounts}
        self.by_index = {a.index: a for a in self.accounts}

    # --- who can be discovered -------------------------------------------------------------------------
    def discoverable(self, username: str | None) -> Account | None:
        """Public Business or Creator accounts (ours included); age-gated and personal ones are not."""
        a = self.by_username.get(username or "")
        if a is not None:
            return a if self.kind[a.id] not in (AGE_GATED, PERSONAL) else None
        return next((x for x in self.world.accounts if x.username == username), None)

    def hides_likes(self, a: Account) -> bool:
        return self.is_public(a) and (a.index - PUBLIC_INDEX) % 3 == 1

    def is_public(self, a: Account) -> bool:
        return a.index >= PUBLIC_INDEX

    # --- per-post facts ------------------------------------------------------------------------------
    def likes_hidden(self, m: Media) -> bool:
        """Every third public account hides the like count on about half of its posts."""
        return self.hides_likes(m.account) and unit(self.seed, "hide", m.id) < 0.5

    def topics(self, m: Media) -> list[str]:
        if not self.is_public(m.account) or m.child:
            return []
        first = TOPICS[h64(self.seed, "t1", m.id) % len(TOPICS)]
        second = TOPICS[h64(self.seed, "t2", m.id) % len(TOPICS)]
        return [first] if second == first or unit(self.seed, "t2n", m.id) < 0.4 else [first, second]

    def hashtags(self, m: Media) -> list[str]:
        """The hashtags in the post's caption (the same draw as ``MediaView``'s: 1 in 10 has no caption)."""
        if m.child or unit(self.seed, "cap", m.id) >= 0.9:
            return []
        return [word_of(m.account), *self.topics(m)]

    def tagged_account(self, m: Media) -> Account | None:
        """One of our own accounts tagged in a public post (about a quarter of public posts)."""
        if not self.is_public(m.account) or m.child or unit(self.seed, "tag?", m.id) >= 0.25:
            return None
        return self.world.accounts[h64(self.seed, "tagwho", m.id) % self.own_count]

    def mentioned_account(self, m: Media) -> Account | None:
        """One of our own accounts @mentioned in a public post's caption (about a tenth of public posts)."""
        if not self.is_public(m.account) or m.child or unit(self.seed, "men?", m.id) >= 0.1:
            return None
        return self.world.accounts[h64(self.seed, "menwho", m.id) % self.own_count]

    def caption_extra(self, m: Media) -> str:
        """What a public post's caption adds after ``#{word}``: its topic hashtags and any @mention."""
        extra = "".join(f" #{t}" for t in self.topics(m))
        who = self.mentioned_account(m)
        return extra + (f" with @{who.username}" if who is not None else "")

    def find_media(self, media_id: str, now: float) -> Media | None:
        """A top-level post of ours or of a public account (public posts are not nodes a token can read,
        but comments and mentions point at them)."""
        m = self.world.find_media(media_id, now)
        if m is not None or len(media_id) != 16 or not media_id.isdigit() or not media_id.startswith("179"):
            return m
        a = self.by_index.get(int(media_id[3:8]))
        d, k = int(media_id[8:14]), int(media_id[14])
        if a is None or media_id[15] != "0" or self.kind[a.id] == AGE_GATED:
            return None
        n = self.world.posts_on(a, d)
        if k >= n:
            return None
        m = self.world.media_at(a, d, k, n)
        return m if m.ts <= now else None

    def media_newest_first(self, now: float, after: tuple[int, int, int, int] | None = None):
        """Public posts (age-gated excluded) newest first, each with its key (day, ts, account index, k);
        with ``after``, only those strictly older than that key (listings such as ``/tags`` page with it)."""
        w = self.world
        d = pacific_ordinal(now) if after is None else after[0]
        first_day = min(a.content_start for a in self.accounts)
        while d >= first_day:
            day_items = []
            for a in self.accounts:
                if self.kind[a.id] == AGE_GATED:
                    continue
                n = w.posts_on(a, d)
                for k in range(n):
                    m = w.media_at(a, d, k, n)
                    key = (d, m.ts, a.index, k)
                    if m.ts <= now and (after is None or key < after):
                        day_items.append((key, m))
            day_items.sort(key=lambda km: km[0], reverse=True)
            yield from day_items
            d -= 1

    # --- hashtag media -------------------------------------------------------------------------------
    def vocabulary(self) -> list[str]:
        words = {word_of(a) for a in self.world.accounts} | {word_of(a) for a in self.accounts}
        return sorted(words | set(TOPICS))

    def media_between(self, lo: float, hi: float):
        """Top-level posts of every account (ours and public, age-gated ones excluded) with lo <= ts <= hi."""
        w = self.world
        for a in [*w.accounts, *self.accounts]:
            if self.kind.get(a.id) == AGE_GATED:
                continue
            for d in range(pacific_ordinal(lo), pacific_ordinal(hi) + 1):
                n = w.posts_on(a, d)
                for k in range(n):
                    m = w.media_at(a, d, k, n)
                    if lo <= m.ts <= hi:
                        yield m

    def hashtag_media(self, tag: str, now: float, kind: str) -> list[tuple[Media, dict]]:
        """``recent``: posts of the last 24 h, newest first; ``top``: the most engaging posts of the last
        7 days (likes + comments now), at most 150."""
        window = DAY if kind == "recent" else 7 * DAY
        found = [(m, self.world.media_values(m, now)) for m in self.media_between(now - window, now)
                 if tag in self.hashtags(m)]
        if kind == "recent":
            found.sort(key=lambda mv: (mv[0].ts, mv[0].id), reverse=True)
            return found
        found.sort(key=lambda mv: (mv[1]["likes"] + mv[1]["comments"], mv[0].id), reverse=True)
        return found[:150]
