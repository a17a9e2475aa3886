"""The simulated world: Facebook users, Pages, IG professional accounts, media, stories and their
metrics, all derived lazily from hashes of (seed, ids, day). Nothing is stored per media or day
except small per-account cumulative post counts."""

from __future__ import annotations

import math
import random

from ig_pipeline.simulator.days import DAY, day_end, day_start, pacific_ordinal
from ig_pipeline.simulator.draws import h64, poisson, split, unit
from ig_pipeline.simulator.entities import (
    ACTION_TYPES,
    CONTACT_TYPES,
    FEED,
    NAV_TYPES,
    REELS,
    SETTLE,
    STORY,
    Account,
    FbUser,
    Media,
    Page,
)
from ig_pipeline.simulator.population import draw_account, page_name, person_name


class World:
    def __init__(self, seed: int, accounts: int, start_epoch: float, media_per_account: int | None = None):
        self.seed = seed
        self.start_epoch = start_epoch
        self.media_per_account = media_per_account
        self.fb_users: list[FbUser] = []
        self.pages: dict[str, Page] = {}
        self.accounts: list[Account] = []
        self.by_id: dict[str, Account] = {}
        self.fb_by_id: dict[str, FbUser] = {}
        ref = pacific_ordinal(start_epoch)
        self.ref_day = ref
        for i in range(accounts):
            if i % 2 == 0:
                self._new_fb_user()
            self._new_account(self.fb_users[-1], ref)
            if i % 6 == 0:  # some Pages without IG
                self._new_page(self.fb_users[-1], None)
        personal = self._new_fb_user()  # a user with only a personal account (no professional one)
        personal.name = personal.name + " (personal)"

    def _new_fb_user(self) -> FbUser:
        j = len(self.fb_users)
        user = FbUser(f"10220{self.seed % 1000:03d}{j + 1:08d}", person_name(self.seed, j))
        self.fb_users.append(user)
        self.fb_by_id[user.id] = user
        return user

    def _new_page(self, user: FbUser, ig_id: str | None, name: str | None = None) -> Page:
        k = len(self.pages)
        page = Page(f"11{self.seed % 1000:03d}{k + 1:09d}", name or page_name(self.seed, k), user.id, ig_id)
        user.pages.append(page)
        self.pages[page.id] = page
        return page

    def _new_account(self, user: FbUser, ref: int, **spec) -> Account:
        acct = draw_account(self.seed, len(self.accounts), user.id, ref, self.media_per_account, **spec)
        page = self._new_page(user, acct.id, f"{acct.name} Page")
        acct.page_id = page.id
        self.accounts.append(acct)
        self.by_id[acct.id] = acct
        return acct

    def add_account(self, now: float, *, media_total=None, media_last_30_days=None, followers=None,
                    account_type=None) -> Account:
        user = self._new_fb_user()
        return self._new_account(user, pacific_ordinal(now), followers=followers, account_type=account_type,
                                 media_total=media_total, media_last_30_days=media_last_30_days)

    # --- followers -----------------------------------------------------------------------------
    def followers_end(self, a: Account, d: int) -> int:
        base = a.f0 * math.exp(a.growth * (d - a.ref_day))
        noise = (unit(self.seed, "fn", a.id, d) - 0.5) * (0.004 if not a.small else 0.02)
        value = int(round(base * (1 + noise)))
        return min(value, 99) if a.small else max(value, 100)

    def followers_now(self, a: Account, now: float) -> int:
        return self.followers_end(a, pacific_ordinal(now))

    # --- posts ---------------------------------------------------------------------------------
    BLOCK = 64

    def _counts(self, a: Account, kind: str, d: int) -> int:
        """Daily counts come in 64-day blocks from one seeded PRNG each (one hash per block)."""
        b = d // self.BLOCK
        key = (kind, b)
        counts = a.blocks.get(key)
        if counts is None:
            rng = random.Random(h64(self.seed, kind, a.id, b))
            out = bytearray(self.BLOCK)
            for i in range(self.BLOCK):
                day = b * self.BLOCK + i
                u = rng.random()
                if kind == "np":
                    lam = a.rate_recent if day >= a.recent_from else a.rate_old
                else:
                    lam = a.stories_rate
                out[i] = poisson(lam, u) if lam > 0 and day >= a.content_start else 0
            counts = a.blocks[key] = bytes(out)
        return counts[d - b * self.BLOCK]

    def posts_on(self, a: Account, d: int) -> int:
        if d < a.content_start:
            return 0
        return self._counts(a, "np", d)

    def stories_on(self, a: Account, d: int) -> int:
        if d < a.content_start:
            return 0
        return self._counts(a, "ns", d)

    def post_ts(self, a: Account, d: int, k: int, n: int, story: bool = False) -> int:
        slot = 16 * 3600 / max(n, 1)
        return day_start(d) + 6 * 3600 + int((k + 0.1 + 0.8 * unit(self.seed, "ts", story, a.id, d, k)) * slot)

    def count_posts_before(self, a: Account, d: int) -> int:
        """Posts on days [content_start, d): whole 64-day blocks summed in C."""
        if d <= a.content_start:
            return 0
        B = self.BLOCK
        total = 0
        first_b, last_b = a.content_start // B, d // B
        for b in range(first_b, last_b):
            self._counts(a, "np", b * B)
            total += sum(a.blocks[("np", b)])
        self._counts(a, "np", last_b * B)
        total += sum(a.blocks[("np", last_b)][:d - last_b * B])
        return total

    def media_count(self, a: Account, now: float) -> int:
        d = pacific_ordinal(now)
        n = self.posts_on(a, d)
        return self.count_posts_before(a, d) + sum(1 for k in range(n) if self.post_ts(a, d, k, n) <= now)

    def media_at(self, a: Account, d: int, k: int, n: int | None = None) -> Media:
        n = self.posts_on(a, d) if n is None else n
        u = unit(self.seed, "kind", a.id, d, k)
        if u < 0.35:
            mt, prod = "VIDEO", REELS
        elif u < 0.7:
            mt, prod = "IMAGE", FEED
        elif u < 0.9:
            mt, prod = "CAROUSEL_ALBUM", FEED
        else:
            mt, prod = "VIDEO", FEED
        children = 2 + h64(self.seed, "ch", a.id, d, k) % 5 if mt == "CAROUSEL_ALBUM" else 0
        return Media(a, f"179{a.index:05d}{d:06d}{k}0", d, k, 0, self.post_ts(a, d, k, n), mt, prod, children)

    def story_at(self, a: Account, d: int, k: int, n: int | None = None) -> Media:
        n = self.stories_on(a, d) if n is None else n
        mt = "VIDEO" if unit(self.seed, "sk", a.id, d, k) < 0.4 else "IMAGE"
        return Media(a, f"180{a.index:05d}{d:06d}{k}0", d, k, 0, self.post_ts(a, d, k, n, True), mt, STORY, 0)

    def child_at(self, parent: Media, c: int) -> Media:
        mt = "VIDEO" if unit(self.seed, "cm", parent.id, c) < 0.25 else "IMAGE"
        return Media(parent.account, parent.id[:-1] + str(c), parent.day, parent.k, c, parent.ts, mt, FEED, 0,
                     parent.id)

    def find_media(self, media_id: str, now: float) -> Media | None:
        if len(media_id) != 16 or not media_id.isdigit() or media_id[:3] not in ("179", "180"):
            return None
        idx, d, k, c = int(media_id[3:8]), int(media_id[8:14]), int(media_id[14]), int(media_id[15])
        if idx >= len(self.accounts):
            return None
        a = self.accounts[idx]
        if media_id[:3] == "180":
            n = self.stories_on(a, d)
            if c or k >= n:
                return None
            m = self.story_at(a, d, k, n)
        else:
            n = self.posts_on(a, d)
            if k >= n:
                return None
            m = self.media_at(a, d, k, n)
            if c:
                if c > m.children:
                    return None
                m = self.child_at(m, c)
        return m if m.ts <= now else None

    def iter_media(self, a: Account, now: float, start: tuple[int, int] | None = None):
        """Top-level posts newest first, strictly older than ``start`` (day, k) when given."""
        d = pacific_ordinal(now)
        if start is not None:
            d = min(d, start[0])
        while d >= a.content_start:
            n = self.posts_on(a, d)
            for k in range(n - 1, -1, -1):
                if start is not None and (d, k) >= start:
                    continue
                m = self.media_at(a, d, k, n)
                if m.ts <= now:
                    yield m
            d -= 1

    def iter_media_newer(self, a: Account, now: float, start: tuple[int, int]):
        """Posts strictly newer than ``start`` (day, k), oldest first."""
        last = pacific_ordinal(now)
        d = start[0]
        while d <= last:
            n = self.posts_on(a, d)
            for k in range(n):
                if (d, k) <= start:
                    continue
                m = self.media_at(a, d, k, n)
                if m.ts <= now:
                    yield m
            d += 1

    def live_stories(self, a: Account, now: float) -> list[Media]:
        out = []
        for d in (pacific_ordinal(now), pacific_ordinal(now) - 1, pacific_ordinal(now) - 2):
            n = self.stories_on(a, d)
            for k in range(n - 1, -1, -1):
                s = self.story_at(a, d, k, n)
                if now - DAY < s.ts <= now:
                    out.append(s)
        out.sort(key=lambda m: m.ts, reverse=True)
        return out

    def stories_between(self, a: Account, lo: float, hi: float) -> list[Media]:
        out = []
        for d in range(pacific_ordinal(lo), pacific_ordinal(hi) + 1):
            n = self.stories_on(a, d)
            for k in range(n):
                s = self.story_at(a, d, k, n)
                if lo <= s.ts < hi:
                    out.append(s)
        return out

    # --- media insights ------------------------------------------------------------------------
    def media_potential(self, m: Media) -> float:
        a = m.account
        f = self.followers_end(a, m.day)
        base = {REELS: 0.9, FEED: 0.35, STORY: 0.06}[m.product]
        return max(1.0, f * base * math.exp(1.2 * (unit(self.seed, "mp", m.id) - 0.5)) + 3)

    def media_values(self, m: Media, at: float) -> dict:
        """Lifetime metric values of a media at an instant (all metrics, unfiltered)."""
        age_h = max(0.0, (min(at, m.ts + DAY) if m.is_story else at) - m.ts) / 3600
        tau = {REELS: 60.0, FEED: 18.0, STORY: 3.0}[m.product]
        frac = 1 - math.exp(-age_h / tau)
        p = self.media_potential(m) * frac
        u = lambda name: unit(self.seed, name, m.id)  # noqa: E731
        reach = int(p)
        views = int(p * (1.3 + 0.9 * u("v")))
        out = {"reach": reach, "views": views, "shares": int(p * (0.002 + 0.02 * u("sh")))}
        out["reposts"] = int(out["shares"] * 0.3)
        if m.is_story:
            out["replies"] = int(p * 0.006 * u("rp"))
            out["link_clicks"] = int(p * 0.01 * u("lc"))
            nav = [int(p * 0.6), int(p * 0.08 * u("tb")), int(p * 0.12 * u("te")), int(p * 0.05 * u("sf"))]
            out["navigation"] = {"total": sum(nav), **dict(zip(NAV_TYPES, nav, strict=False))}
            out["total_interactions"] = out["replies"] + out["shares"]
        else:
            out["likes"] = int(p * (0.03 + 0.09 * u("lk")))
            out["comments"] = int(p * (0.002 + 0.008 * u("cm")))
            out["saved"] = int(p * (0.003 + 0.02 * u("sv")))
            out["total_interactions"] = out["likes"] + out["comments"] + out["saved"] + out["shares"]
            out["total_likes"], out["total_comments"] = out["likes"], out["comments"]
        out["total_views"] = views
        if m.product in (FEED, STORY):
            out["follows"] = int(p * (0.001 + 0.004 * u("fo")))
            out["profile_visits"] = int(p * (0.01 + 0.02 * u("pv")))
            acts = [int(p * w * u("pa" + t)) for t, w in zip(ACTION_TYPES, (0.01, 0.002, 0.002, 0.002, 0.003, 0.001), strict=False)]
            out["profile_activity"] = {"total": sum(acts), **dict(zip(ACTION_TYPES, acts, strict=False))}
        if m.product == REELS:
            avg = int(3000 + 12000 * u("aw"))
            out["ig_reels_avg_watch_time"] = avg if views else 0
            out["ig_reels_video_view_total_time"] = views * avg
            out["reels_skip_rate"] = round(20 + 40 * u("sk"), 2)
            out["plays"] = views
        out["impressions"] = int(views * 0.9)
        out["video_views"] = views if m.media_type == "VIDEO" else 0
        if self.shared_to_facebook(m):
            out["facebook_views"] = int(views * 0.1)
            out["crossposted_views"] = int(views * 0.1)
        return out

    def shared_to_facebook(self, m: Media) -> bool:
        return unit(self.seed, "fb", m.id) < 0.3

    # --- account daily -------------------------------------------------------------------------
    def day_settled(self, a: Account, d: int) -> dict:
        """Settled daily values for a Pacific day: scalars, and breakdown dicts with 'total'."""
        s = self.seed
        u = lambda name: unit(s, name, a.id, d)  # noqa: E731
        f, f_prev = self.followers_end(a, d), self.followers_end(a, d - 1)
        n_p, n_s = self.posts_on(a, d), self.stories_on(a, d)
        activity = math.sqrt(1 + 0.8 * n_p + 0.3 * n_s)
        reach = int(f * (0.08 + 0.12 * u("r")) * activity) + int(5 * u("r0"))
        views = int(reach * (1.8 + 1.2 * u("v")))
        likes = int(reach * (0.05 + 0.05 * u("l")))
        comments = int(likes * (0.05 + 0.1 * u("c")))
        saves = int(likes * (0.05 + 0.15 * u("sv")))
        shares = int(likes * (0.03 + 0.07 * u("sh")))
        replies = int(n_s * reach * 0.002 * u("rp"))
        reposts = int(shares * 0.3)
        profile_views = int(reach * (0.02 + 0.04 * u("pv")))
        taps = int(profile_views * (0.03 + 0.07 * u("pt")))
        churn = int(f * (0.0005 + 0.0015 * u("ch")))
        net = f - f_prev
        follows, unfollows = max(net, 0) + churn, max(-net, 0) + churn
        wp = [0.35 + u("w1"), 0.15 * u("w2") + 0.05, 0.3 + u("w3"), 0.1 + 0.3 * u("w4")]
        out = {
            "reach": reach, "views": views, "accounts_engaged": int(reach * (0.03 + 0.05 * u("ae"))),
            "likes": likes, "comments": comments, "saves": saves, "shares": shares, "replies": replies,
            "reposts": reposts, "total_interactions": likes + comments + saves + shares + replies,
            "profile_views": profile_views,
            "website_clicks": int(profile_views * (0.05 + 0.1 * u("wc"))) if a.website else 0,
            "profile_links_taps": {"total": taps, **dict(zip(CONTACT_TYPES, split(
                taps, [0.1 + u("ct" + c) for c in CONTACT_TYPES]), strict=False))},
            "follows_and_unfollows": {"total": follows + unfollows, "FOLLOWER": follows, "NON_FOLLOWER": unfollows},
            "follower_count": follows,
            "_weights_product": wp,
            "_weights_follow": [0.4 + u("wf"), 0.5 + u("wn"), 0.05],
            "impressions": int(views * 1.1),
        }
        return out

    def impressions_24h(self, a: Account, now: float) -> int:
        """How many times the account's content entered someone's screen in the 24 h before ``now``.

        Meta sizes the Instagram Business Use Case rate limit by this number; each Pacific day's
        impressions are spread evenly over the day, so the rolling window takes its share of the
        (partial) current day and of the day before."""
        total = 0.0
        lo = now - DAY
        for d in (pacific_ordinal(now) - 1, pacific_ordinal(now)):
            start, end = day_start(d), day_end(d)
            overlap = max(0.0, min(end, now) - max(start, lo))
            total += self.day_settled(a, d)["impressions"] * overlap / (end - start)
        return int(total)

    def day_served(self, a: Account, d: int, now: float) -> dict | None:
        """What the API serves for a day at ``now`` (restated until 48 h after the day ends)."""
        start, end = day_start(d), day_end(d)
        if now < start:
            return None
        settled = self.day_settled(a, d)
        progress = (now - start) / (end + SETTLE - start)
        if progress >= 1:
            return settled
        hour = int(now // 3600)
        factor = (0.8 + 0.2 * progress) * (1 - 0.02 * unit(self.seed, "rs", a.id, d, hour) * (1 - progress))
        if now < end:
            factor *= (now - start) / (end - start)
        out = {}
        for key, v in settled.items():
            if key.startswith("_"):
                out[key] = v
            elif isinstance(v, dict):
                total = int(v["total"] * factor)
                names = [n for n in v if n != "total"]
                out[key] = {"total": total, **dict(zip(names, split(total, [v[n] + 0.01 for n in names]), strict=False))}
            else:
                out[key] = int(v * factor)
        out["follower_count"] = out["follows_and_unfollows"]["FOLLOWER"]
        return out
