"""Tenancy guards (issue 13): used OAuth states, revoked connect links, the connection-transfer audit,
and a trigger that keeps a story row on the account it arrived for.

- ``ig_oauth_state_used``: every OAuth ``state`` nonce consumed by any handler process, until it
  expires, so a state is single-use across processes and restarts.
- ``ig_connect_link_revocation``: connect links of an owner issued before ``revoked_before`` are refused
  (``ig-pipeline connect-link --revoke``).
- ``ig_connection_transfer``: one row per ``ig-pipeline connections transfer`` (who, when, from, to,
  rows moved per table).
- ``instagram_story_insights``: a webhook payload naming a known media id under another account must
  not move the row; the BEFORE UPDATE trigger leaves such a row as it is.

None of these tables is readable by the reader roles (no grants). Docs: docs/oauth.md.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 11:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NEW_TABLES = ("ig_oauth_state_used", "ig_connect_link_revocation", "ig_connection_transfer")
KEEP_STORY_ACCOUNT = """
CREATE FUNCTION ig_story_keeps_its_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.ig_user_id IS DISTINCT FROM OLD.ig_user_id THEN
        RETURN NULL;  -- a payload for another account does not move this story's row
    END IF;
    RETURN NEW;
END $$
"""


def _timestamps() -> list[sa.Column]:
    return [sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "ig_oauth_state_used",
        sa.Column("nonce", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("nonce"),
    )
    op.create_index("ix_oauth_state_used_expires", "ig_oauth_state_used", ["expires_at"])
    op.create_table(
        "ig_connect_link_revocation",
        sa.Column("owner_id", sa.Text(), nullable=False),
        sa.Column("revoked_before", sa.DateTime(timezone=True), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("owner_id"),
    )
    op.create_table(
        "ig_connection_transfer",
        sa.Column("transfer_id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("ig_user_id", sa.Text(), nullable=False),
        sa.Column("from_owner", sa.Text(), nullable=False),
        sa.Column("to_owner", sa.Text(), nullable=False),
        sa.Column("rows_moved", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("transferred_by", sa.Text(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("transfer_id"),
    )
    op.create_index("ix_connection_transfer_account", "ig_connection_transfer", ["ig_user_id", "created_at"])
    for table in NEW_TABLES:
        op.execute(f"CREATE TRIGGER {table}_touch BEFORE UPDATE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION ig_touch_updated_at()")
    op.execute(KEEP_STORY_ACCOUNT)
    op.execute("CREATE TRIGGER instagram_story_insights_keeps_account BEFORE UPDATE ON instagram_story_insights "
               "FOR EACH ROW EXECUTE FUNCTION ig_story_keeps_its_account()")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS instagram_story_insights_keeps_account ON instagram_story_insights")
    op.execute("DROP FUNCTION IF EXISTS ig_story_keeps_its_account()")
    op.drop_index("ix_connection_transfer_account", table_name="ig_connection_transfer")
    op.drop_index("ix_oauth_state_used_expires", table_name="ig_oauth_state_used")
    for table in reversed(NEW_TABLES):
        op.drop_table(table)
