"""What each table is (grain, source) and what its non-metric columns mean, for the data dictionary
(warehouse/dictionary.py; metric columns are described from the metric catalog there).

``TABLES``: table → (grain, source); ``COMMON``: columns with one meaning wherever they appear;
``COLUMNS``: table → column → meaning.
"""

from ig_pipeline.warehouse import schema

TABLES = {
    "instagram_connection": ("one row per connected IG professional account", "OAuth callback (web/app.py)"),
    "instagram_account_daily": ("account × Pacific reporting day", "`GET /{ig-user-id}/insights` period=day"),
    "instagram_media": ("one row per media item (posts, reels, stories)", "`GET /{ig-user-id}/media` and `/stories`"),
    "instagram_media_daily": ("media × day: lifetime-to-date values as captured after that day",
                              "`GET /{ig-media-id}/insights` period=lifetime, batched"),
    "instagram_account_intraday": ("account × 30-minute capture (partitioned by month)",
                                   "`GET /{ig-user-id}?fields=followers_count,…`"),
    "instagram_media_intraday": ("media × 30-minute capture, recent media and live stories (partitioned by month)",
                                 "media fields and `/insights` of media posted in the last days"),
    "instagram_sync_state": ("account × sync kind", "written by every sync run"),
    "instagram_account_demographics": ("account × snapshot day × metric × timeframe × breakdown × value",
                                       "`GET /{ig-user-id}/insights` *_demographics, period=lifetime"),
    "instagram_online_followers": ("account × day × hour", "`online_followers`, period=lifetime (last 30 days)"),
    "instagram_story_insights": ("one row per story", "`story_insights` webhook (final numbers at expiry)"),
    "ig_tenant_member": ("database role × tenant it may read", "`ig-pipeline roles --tenant`"),
    "instagram_alert_log": ("one row per alert (failed run, stale account, reconnect)", "ops sensors"),
    "ig_oauth_state_used": ("one row per OAuth state used, until it expires", "OAuth callback (web/state.py)"),
    "ig_connect_link_revocation": ("owner whose older connect links are revoked",
                                   "`ig-pipeline connect-link --revoke`"),
    "ig_connection_transfer": ("one row per account moved to another owner", "`ig-pipeline connections transfer`"),
    "ig_tracked_competitor": ("owner × competitor username", "`ig-pipeline competitors add`"),
    "ig_tracked_hashtag": ("owner × hashtag", "`ig-pipeline hashtags add`"),
    "ig_hashtag_search_ledger": ("account × hashtag searched in its current 7-day window",
                                 "hashtag searches and `GET /{ig-user-id}/recently_searched_hashtags`"),
    "instagram_competitor_daily": ("owner × competitor × Pacific day (profile snapshot)",
                                   "Business Discovery: `GET /{ig-user-id}?fields=business_discovery.username(…)`"),
    "instagram_competitor_media": ("owner × competitor post × Pacific day (counts as of the day)",
                                   "Business Discovery `media{…}` (newest posts)"),
    "instagram_hashtag_media": ("owner × hashtag × Pacific day × top/recent × media",
                                "`GET /{ig-hashtag-id}/top_media` and `/recent_media`"),
    "instagram_tagged_media": ("connected account × post by another account that tags it",
                               "`GET /{ig-user-id}/tags`"),
    "instagram_media_comment": ("one row per comment or reply on a connected account's post (personal data: "
                                "kept IG_COMMENT_RETENTION_DAYS, text NULL when IG_COMMENT_TEXT=off)",
                                "`GET /{ig-media-id}/comments` (replies nested), `/{ig-comment-id}/replies`, "
                                "`comments` webhook"),
    "instagram_mention": ("account × media × comment where another account @mentioned it",
                          "`mentions` webhook (kept IG_COMMENT_RETENTION_DAYS)"),
}

COMMON = {
    "owner_id": "Tenant: the app user who connected the account (row-level security key).",
    "ig_user_id": "Instagram professional account id (IG user id).",
    "media_id": "Instagram media id.",
    "day": "Instagram reporting day, US Pacific (`date`).",
    "created_at": "When the row was first written (database clock).",
    "updated_at": "When the row last changed (database trigger).",
    "captured_at": "Instant the values were read from the API (UTC `timestamptz`).",
    "media_product_type": "FEED, REELS, STORY or AD.",
    "like_count": "Likes as the media object reports them (hidden counts come back NULL).",
    "comments_count": "Comments as the media object reports them.",
    "followers_count": "Total followers at capture (a snapshot: the API has no history of it).",
    "follows_count": "Accounts this account follows, at capture.",
    "media_count": "Media items published, at capture.",
}

COLUMNS = {
    "instagram_connection": {
        "login_type": "`facebook` (Facebook Login, Page token) or `instagram` (Instagram Login token).",
        "fb_user_id": "Facebook user who granted access (Facebook Login).",
        "page_id": "Facebook Page linked to the account.", "page_name": "Name of that Page.",
        "username": "Instagram username.", "name": "Display name.",
        "account_type": "BUSINESS or MEDIA_CREATOR.", "profile_picture_url": "Signed CDN URL (expires).",
        "token_encrypted": "Access token, Fernet-encrypted with IG_TOKEN_KEYS; NULL once disconnected. "
                           "No reader role may select it.",
        "token_expires_at": "Token expiry; NULL = does not expire (long-lived Page token).",
        "data_access_expires_at": "When Meta's data-access grant ends (debug_token).",
        "token_refreshed_at": "Last refresh of an Instagram Login token.",
        "scopes": "Permissions granted.",
        "status": "active, needs_reauth (the owner must reconnect) or disconnected.",
        "status_reason": "Why the status is not active.", "connected_at": "Last (re)connection.",
    },
    "instagram_account_daily": {
        "fetched_at": "When the day's values were last fetched (UTC).",
        "counts_captured_at": "When followers_count, follows_count and media_count were read (UTC); NULL on "
                              "days whose counts were never captured (the API has no follower history).",
    },
    "instagram_media": {
        "media_type": "IMAGE, VIDEO or CAROUSEL_ALBUM.", "caption": "Caption text.",
        "permalink": "Public URL of the post.", "shortcode": "Shortcode in the permalink.",
        "media_url": "Signed CDN URL of the media (expires; changes on every call).",
        "thumbnail_url": "Signed CDN URL of a video's thumbnail.",
        "posted_at": "Publication instant (UTC).", "posted_day": "Pacific reporting day of posted_at.",
        "children": "Carousel children as JSON [{id, media_type, media_url, thumbnail_url}].",
        "is_comment_enabled": "Whether comments are on.",
        "story_expires_at": "Stories: 24 h after posting, when the API stops serving it.",
        "last_seen_at": "Last time the media list returned it.",
        "deleted_at": "Set when the media list stopped returning it (rows are never deleted).",
    },
    "instagram_sync_state": {
        "sync_kind": "account_daily, media, media_daily, intraday, audience, …; `competitor:NAME` and `hashtag:TAG` "
                     "for each tracked competitor and hashtag (under the account that asks).",
        "last_attempt_at": "Last attempt.", "last_success_at": "Last success.",
        "last_error_class": "transient, rate_limited, token_invalid, no_data or bad_request.",
        "last_error_code": "Graph API error code.", "last_error_message": "Error message (tokens redacted).",
        "consecutive_failures": "Failures since the last success.",
        "failing_since": "First failure of the current streak.",
        "next_retry_at": "Schedules leave the account alone until then (rate limits, errors).",
        "last_run_id": "Dagster run of the last attempt.", "cursor": "Paging state of incremental syncs.",
    },
    "instagram_account_demographics": {
        "metric": "follower_demographics, engaged_audience_demographics or reached_audience_demographics.",
        "timeframe": "this_week or this_month.", "breakdown": "age, gender, country or city.",
        "dimension_value": "The bucket (e.g. `25-34`, `F`, `US`).", "value": "Accounts in the bucket.",
    },
    "instagram_online_followers": {
        "hour": "Hour key 0–23 as the API returns it (its time zone is not documented).",
        "value": "Followers online in that hour.",
    },
    "instagram_story_insights": {
        "received_at": "When the webhook arrived.",
        **{m: "Webhook value; -1 means Meta withheld a value below 5 (not a count)."
           for m in schema.STORY_WEBHOOK_COUNTS},
        "payload": "The webhook's value object as received.",
    },
    "ig_tenant_member": {"member_role": "Database role (current_user) allowed to read the tenant's rows."},
    "ig_oauth_state_used": {"nonce": "The state's nonce (random; also in the browser cookie).",
                            "expires_at": "When the state would expire anyway; the row may be deleted after."},
    "ig_connect_link_revocation": {"revoked_before": "Connect links of this owner signed before this instant "
                                                     "are refused."},
    "ig_connection_transfer": {
        "transfer_id": "Sequence.", "from_owner": "Owner before the transfer.", "to_owner": "Owner after it.",
        "rows_moved": "Rows whose owner_id moved, per table.", "reason": "Why (operator's words).",
        "transferred_by": "Database user and OS user that ran the command.",
    },
    "ig_tracked_competitor": {"username": "Competitor's Instagram username (lower case, no @): a public "
                                          "Business or Creator account."},
    "ig_tracked_hashtag": {"hashtag": "Hashtag, lower case, without #.",
                           "ig_user_id": "The owner's account that searches it (spends that account's budget).",
                           "hashtag_id": "Instagram hashtag id, once ig_hashtag_search resolved it."},
    "ig_hashtag_search_ledger": {
        "ig_user_id": "The account whose 30-hashtags-per-7-days budget the search spent.",
        "hashtag_id": "Instagram hashtag id (what recently_searched_hashtags lists).",
        "hashtag": "Hashtag, lower case, without #; NULL when searched outside this pipeline (name unknown).",
        "window_started_at": "The search that spent budget; the slot frees 7 days later.",
        "last_searched_at": "Last search (a repeat inside the window is free and does not move it).",
        "source": "pipeline (searched by this pipeline) or recently_searched (listed by the API only).",
    },
    "instagram_competitor_daily": {
        "username": "Competitor's username.", "competitor_ig_id": "Competitor's IG user id (Business Discovery).",
        "ig_user_id": "The owner's account that asked.", "name": "Display name.", "biography": "Biography.",
        "website": "Website.", "profile_picture_url": "Profile picture URL (signed, expires).",
    },
    "instagram_competitor_media": {
        "username": "Competitor's username.", "media_type": "IMAGE, VIDEO or CAROUSEL_ALBUM.",
        "caption": "Caption.", "permalink": "Public URL.", "posted_at": "Publication instant.",
        "posted_day": "Pacific day of publication.",
    },
    "instagram_hashtag_media": {
        "hashtag": "Hashtag, lower case, without #.", "list_kind": "top (most popular) or recent (last 24 h).",
        "ig_user_id": "The owner's account that searched.", "hashtag_id": "Instagram hashtag id.",
        "rank": "Position in the list as served (1 = first).", "media_type": "IMAGE, VIDEO or CAROUSEL_ALBUM.",
        "caption": "Caption.", "permalink": "Public URL.", "posted_at": "Publication instant.",
        "is_own_post": "The media is one of the owner's own (known to instagram_media at capture).",
    },
    "instagram_alert_log": {
        "alert_id": "Sequence.", "kind": "run_failure, stale_sync or reconnect_needed.",
        "dedupe_key": "Run id, or `<ig_user_id>@<incident start>`: one alert per incident.",
        "run_id": "Failed Dagster run.", "job_name": "Its job.", "partition_key": "Its partition or range.",
        "step_key": "First failing step.", "error_class": "Exception class of the failure.",
        "accounts": "Accounts concerned.", "message": "The alert text (tokens redacted).",
        "payload": "JSON posted to IG_ALERT_WEBHOOK_URL.",
        "delivery_status": "pending, delivered, failed (bounded retries used up) or not_configured (no URL).",
        "delivery_attempts": "POSTs tried.", "last_delivery_error": "Why the last POST failed.",
        "delivered_at": "When the receiver accepted it.",
    },
    "instagram_tagged_media": {
        "ig_user_id": "The connected account that was tagged.", "media_id": "The tagging post's media id.",
        "username": "Who posted it.", "caption": "Its caption.", "media_type": "IMAGE, VIDEO or CAROUSEL_ALBUM.",
        "permalink": "Public URL of the post.", "posted_at": "Publication instant.",
        "posted_day": "Pacific day of publication.",
        "like_count": "Likes when last seen (NULL when the poster hides them).",
        "comments_count": "Comments when last seen.", "last_seen_at": "When the tags listing last returned it.",
    },
    "instagram_media_comment": {
        "comment_id": "Instagram comment id.", "ig_user_id": "The connected account whose post it is.",
        "media_id": "The post commented on.",
        "parent_comment_id": "NULL for a top-level comment; else the comment this one replies to.",
        "username": "Who commented (personal data).",
        "text": "Comment text (personal data); NULL when IG_COMMENT_TEXT=off.",
        "like_count": "Likes on the comment when last read.",
        "commented_at": "When it was written; NULL while only its webhook is known.",
        "source": "api (comments listing) or webhook (`comments` field): which wrote the row last.",
        "last_seen_at": "When the listing or a webhook last reported it.",
    },
    "instagram_mention": {
        "ig_user_id": "The connected account that was @mentioned.",
        "media_id": "The media with the mention (someone else's post).",
        "comment_id": "The comment with the mention; '' when the mention is in the caption.",
        "received_at": "When the webhook first arrived (a redelivery does not move it).",
    },
}
