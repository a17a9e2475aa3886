"""Intraday indexes for what reads them (issue 17): BRIN on ``captured_at`` instead of the per-account btree.

Readers of ``instagram_media_intraday``: the views look rows up by ``media_id`` (the primary key
serves them), and the asset checks and exports select one snapshot window or a time range
(``captured_at``). Nothing reads it by ``ig_user_id``, yet ``ix_media_intraday_account``
(ig_user_id, captured_at) cost about a quarter of every write. A window's rows are written
together, so the heap is in ``captured_at`` order and a BRIN index finds a window for almost
nothing at write time, on every Postgres version (a btree skip scan needs Postgres 18).
``instagram_account_intraday`` keeps its ``owner_id`` index (row-level security of the tenant
readers) and gets the same BRIN. Retention drops whole partitions and needs no index.
Decision: docs/decisions/0012-intraday-writes-and-indexes.md.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 14:00:00
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# A block range is summarized as soon as it is full (by autovacuum), not at the next vacuum: otherwise a
# window lookup reads every range inserted since then.
SUMMARIZED = {"autosummarize": "on"}


def upgrade() -> None:
    op.drop_index("ix_media_intraday_account", table_name="instagram_media_intraday")
    for index, table in (("ix_media_intraday_captured", "instagram_media_intraday"),
                         ("ix_account_intraday_captured", "instagram_account_intraday")):
        op.create_index(index, table, ["captured_at"], postgresql_using="brin", postgresql_with=SUMMARIZED)


def downgrade() -> None:
    op.drop_index("ix_account_intraday_captured", table_name="instagram_account_intraday")
    op.drop_index("ix_media_intraday_captured", table_name="instagram_media_intraday")
    op.create_index("ix_media_intraday_account", "instagram_media_intraday", ["ig_user_id", "captured_at"])
