"""What each analyst view is and what its own columns mean, for the data dictionary (warehouse/dictionary.py).

``VIEWS``: view → (grain, column notes); ``VIEW_COMMON``: the shared columns each view also has,
described once in ``table_notes.COMMON``.
"""

from ig_pipeline.warehouse.table_notes import COLUMNS

USERNAME_IN_VIEW = "Instagram username, from the account's connection (as of its last connect)."
VIEWS = {
    "ig_account_overview": ("one row per connection: latest numbers", {
        "username": "Instagram username.", "name": "Display name.", "account_type": "BUSINESS or MEDIA_CREATOR.",
        "login_type": "facebook or instagram.", "connection_status": "active, needs_reauth or disconnected.",
        "connected_at": "Last (re)connection.",
        "counts_as_of": "Capture time of the counts (newest of intraday and daily snapshots).",
        "latest_day": "Newest day with daily insights.", "latest_day_reach": "Reach that day.",
        "latest_day_views": "Views that day.", "latest_day_accounts_engaged": "Accounts engaged that day.",
        "latest_day_interactions": "Total interactions that day.",
        "latest_day_new_followers": "New followers that day.",
        "latest_day_engagement_rate": "Interactions / reach that day (NULL when reach is 0 or unknown).",
        "posts_last_30_days": "Feed posts and reels published in the last 30 days (not deleted).",
        "last_daily_sync_at": "Last successful account_daily sync.",
    }),
    "ig_follower_growth": ("account × Pacific day", {
        "username": USERNAME_IN_VIEW,
        "followers_count": "Followers at the end of the day: the day's last 30-minute snapshot, else the "
                           "daily sync's snapshot; NULL when none was taken that day.",
        "new_followers": "New followers that day (API `follower_count`).",
        "follows": "Follows gained (API follows_and_unfollows).", "unfollows": "Unfollows.",
        "net_follows": "follows − unfollows.",
        "net_change": "followers_count − the previous day's, when both days have a count.",
    }),
    "ig_daily_engagement": ("account × Pacific day", {
        "username": USERNAME_IN_VIEW,
        "reach": "Unique accounts reached; never sum over days.", "views": "Views.",
        "accounts_engaged": "Unique accounts that interacted; never sum over days.",
        "total_interactions": "Likes, comments, saves, shares, replies.", "likes": "Likes.",
        "comments": "Comments.", "saves": "Saves.", "shares": "Shares.", "replies": "Story replies.",
        "reposts": "Reposts.", "profile_views": "Profile views.",
        "engagement_rate": "total_interactions / reach for the day (ratio, 0–∞; NULL when reach is 0).",
    }),
    "ig_post_performance": ("one row per feed post or reel (stories: ig_story_performance)", {
        "username": USERNAME_IN_VIEW,
        "media_type": "IMAGE, VIDEO or CAROUSEL_ALBUM.", "posted_at": "Publication instant.",
        "posted_day": "Pacific day of publication.", "posted_month": "First day of that month.",
        "permalink": "Public URL.", "caption": "Caption.", "deleted": "No longer listed by the API.",
        "metrics_as_of": "Capture time of the newest lifetime values (daily or intraday table).",
        "reach": "Lifetime reach.", "views": "Lifetime views.", "likes": "Lifetime likes.",
        "comments": "Lifetime comments.", "saved": "Lifetime saves.", "shares": "Lifetime shares.",
        "total_interactions": "Lifetime interactions.",
        "engagement_rate": "total_interactions / reach (lifetime).",
        "rank_in_account_month": "1 = most interactions among the account's posts of that month.",
    }),
    "ig_story_performance": ("one row per story", {
        "media_type": "IMAGE or VIDEO.", "posted_at": "Publication instant.", "expires_at": "Posted + 24 h.",
        "source": "`webhook` (final numbers Meta sent at expiry) or `snapshot` (last capture before expiry).",
        "final_as_of": "When those numbers were received or captured.",
        "reach": "Reach (NULL when withheld).", "views": "Views.", "replies": "Replies.",
        "navigation": "Navigation actions.", "taps_forward": "Taps forward.", "taps_back": "Taps back.",
        "exits": "Exits.", "shares": "Shares (snapshots only).",
        "total_interactions": "Interactions (snapshots only).",
        "some_withheld": "True when the webhook withheld some value (sent -1: below 5).",
    }),
    "ig_product_type_summary": ("account × month of publication × product type (FEED, REELS, STORY)", {
        "month": "First day of the month of publication (Pacific).", "product_type": "FEED, REELS or STORY.",
        "posts": "Items published (not deleted).", "avg_reach": "Mean lifetime reach per item.",
        "avg_views": "Mean lifetime views.", "avg_interactions": "Mean lifetime interactions.",
        "total_interactions": "Sum of lifetime interactions (reach is never summed).",
        "avg_engagement_rate": "Mean of the items' engagement rates.",
    }),
    "ig_best_time_to_post": ("account × ISO weekday × hour", {
        "weekday": "ISO weekday of the day the API reported (1 = Monday … 7 = Sunday).",
        "weekday_name": "Mon … Sun.", "hour": "Hour key as the API returns it.",
        "avg_online_followers": "Mean followers online in that hour over the observed days.",
        "days_observed": "Days averaged.", "rank_in_account": "1 = the account's best hour.",
    }),
    "ig_sync_health": ("connection × sync kind", {
        "username": "Instagram username.", "connection_status": "active, needs_reauth or disconnected.",
        "status_reason": "Why the connection is not active.",
        **{c: COLUMNS["instagram_sync_state"][c] for c in (
            "sync_kind", "last_attempt_at", "last_success_at", "failing_since", "consecutive_failures",
            "last_error_class", "last_error_code", "last_error_message", "next_retry_at")},
        "health": "ok, failing, stale (no success for 36 h), never_synced, or the connection status.",
    }),
    "ig_competitor_benchmark": ("owner × own account or competitor × ISO week (Monday)", {
        "account_kind": "own (a connected account) or competitor (Business Discovery).",
        "username": "Instagram username.", "account_id": "IG user id (own account or competitor).",
        "week": "Monday of the ISO week.", "followers_count": "Followers at the week's last snapshot.",
        "follower_growth": "followers_count − the previous observed week's.",
        "posts": "Feed posts and reels published that week (posting cadence).",
        "median_likes": "Median like count per post published that week (newest counts; hidden ones left out).",
        "median_comments": "Median comment count per post published that week.",
        "engagement_per_follower": "Median (likes + comments) per post / followers_count.",
    }),
    "ig_hashtag_performance": ("owner × hashtag × Pacific day", {
        "hashtag": "Hashtag, lower case, without #.", "posts_seen": "Distinct media in the top and recent lists.",
        "top_posts": "Media in the top list.", "recent_posts": "Media in the recent list.",
        "median_engagement": "Median likes + comments per listed media (hidden like counts left out).",
        "own_posts_seen": "Of posts_seen, the owner's own.",
        "best_own_top_rank": "Best rank of an own post in the top list (NULL: none listed).",
        "best_own_recent_rank": "Best rank of an own post in the recent list.",
    }),
    "ig_comment_summary": ("one row per post with stored comments", {
        "username": USERNAME_IN_VIEW, "permalink": "Public URL of the post.", "posted_at": "Publication instant.",
        "comments": "Top-level comments stored.", "replies": "Replies stored.",
        "own_replies": "Replies written by the account itself.",
        "commenters": "Distinct commenters, the account itself excluded.",
        "top_commenters": "Up to 3 usernames with the most comments and replies (ties by name), the account "
                          "itself excluded.",
        "last_comment_at": "Newest comment's instant.",
    }),
}

# Shared columns each view has besides the ones documented above (meanings in COMMON).
VIEW_COMMON = {
    "ig_account_overview": ("owner_id", "ig_user_id", "followers_count", "follows_count", "media_count"),
    "ig_follower_growth": ("owner_id", "ig_user_id", "day"),
    "ig_daily_engagement": ("owner_id", "ig_user_id", "day"),
    "ig_post_performance": ("owner_id", "ig_user_id", "media_id", "media_product_type"),
    "ig_story_performance": ("owner_id", "ig_user_id", "media_id"),
    "ig_product_type_summary": ("owner_id", "ig_user_id"),
    "ig_best_time_to_post": ("owner_id", "ig_user_id"),
    "ig_sync_health": ("owner_id", "ig_user_id"),
    "ig_competitor_benchmark": ("owner_id",),
    "ig_hashtag_performance": ("owner_id", "day"),
    "ig_comment_summary": ("owner_id", "ig_user_id", "media_id", "media_product_type"),
}
