"""``instagram_account_daily.counts_captured_at``: when the row's follower/following/media counts were read.

``fetched_at`` means "values last fetched", and the daily sync re-pulls the restatement window every
day, so an older day's ``fetched_at`` moves past the instant its counts were captured. The analyst view
``ig_account_overview`` picked "the newest counts" by ``fetched_at`` and so showed an older day's
follower count (found by the truth suite, issue 12). The capture instant now has its own column,
written only together with the counts; the view orders by it. Rows stored before this revision get
their ``fetched_at`` (the best instant known for them).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 11:45:00
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

VIEW = "ig_account_overview"
_OLD_ORDER = "COALESCE(fetched_at, ((a.day + 1)::timestamp AT TIME ZONE 'America/Los_Angeles'))"
_NEW_ORDER = "COALESCE(counts_captured_at, ((a.day + 1)::timestamp AT TIME ZONE 'America/Los_Angeles'))"


def _overview_0002() -> str:
    path = Path(__file__).with_name("0002_analytics.py")
    spec = importlib.util.spec_from_file_location("ig_migration_0002_analytics", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    body = module.VIEWS[VIEW]
    assert _OLD_ORDER in body, "revision 0002's overview changed: update 0005"
    return body


def upgrade() -> None:
    op.add_column("instagram_account_daily", sa.Column("counts_captured_at", sa.DateTime(timezone=True)))
    op.execute("UPDATE instagram_account_daily SET counts_captured_at = fetched_at "
               "WHERE followers_count IS NOT NULL OR follows_count IS NOT NULL OR media_count IS NOT NULL")
    body = _overview_0002().replace(_OLD_ORDER, _NEW_ORDER)
    op.execute(f"CREATE OR REPLACE VIEW {VIEW} WITH (security_invoker = true) AS {body}")


def downgrade() -> None:
    op.execute(f"CREATE OR REPLACE VIEW {VIEW} WITH (security_invoker = true) AS {_overview_0002()}")
    op.drop_column("instagram_account_daily", "counts_captured_at")
