"""Reader roles and row-level security (``ig-pipeline roles``).

Two group roles, both read-only:

- ``ig_analyst`` reads every row of every table and view (never the encrypted token column).
- ``ig_tenant_reader`` reads only the rows of the tenants (``owner_id``) its member role is mapped to
  in ``ig_tenant_member``. The mapping is keyed by the database role itself (``current_user``), so a
  tenant cannot widen what it sees by setting a session variable.

Migrations enable RLS with no policy (deny by default); this module adds the grants and policies.
Every reader role (the groups and each member: a role's settings apply to the role that logs in, they
are not inherited) gets READER_TIMEOUTS, so a forgotten open transaction or a runaway query of a
tenant member cannot hold locks that stall ``ig-pipeline migrate`` and the pipeline behind it.
It is idempotent and re-run by ``ig-pipeline migrate`` when the roles exist, so tables added by a
later migration are covered. Roles are cluster-wide and need CREATEROLE, which is why they are not
created by a migration.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import ProgrammingError

from ig_pipeline.warehouse import schema

ANALYST = "ig_analyst"
TENANT_READER = "ig_tenant_reader"
VIEWS = (
    "ig_account_overview", "ig_follower_growth", "ig_daily_engagement", "ig_post_performance",
    "ig_story_performance", "ig_product_type_summary", "ig_best_time_to_post", "ig_sync_health",
    "ig_competitor_benchmark", "ig_hashtag_performance", "ig_comment_summary",
)
SECRET_COLUMNS = {"instagram_connection": {"token_encrypted"}}
_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
READER_TIMEOUTS = {"idle_in_transaction_session_timeout": "1min", "statement_timeout": "5min"}
_READERS = text("""
SELECT DISTINCT r.rolname FROM pg_roles r
LEFT JOIN pg_auth_members m ON m.member = r.oid LEFT JOIN pg_roles g ON g.oid = m.roleid
WHERE r.rolname IN (:a, :t) OR g.rolname IN (:a, :t) ORDER BY 1
""")
_TENANT_POLICY = (f"owner_id IN (SELECT m.owner_id FROM {schema.ig_tenant_member.name} m "
                  "WHERE m.member_role = current_user)")


class RoleError(RuntimeError):
    """The roles could not be set up (usually: the connecting user may not create roles)."""


def roles_exist(conn: Connection) -> bool:
    found = conn.execute(text("SELECT count(*) FROM pg_roles WHERE rolname IN (:a, :t)"),
                         {"a": ANALYST, "t": TENANT_READER}).scalar_one()
    return found == 2


def ensure_roles(conn: Connection) -> None:
    """Create the two group roles when missing, then (re)apply grants and policies."""
    for role in (ANALYST, TENANT_READER):
        if not _role_exists(conn, role):
            _require_createrole(conn)
            conn.execute(text(f'CREATE ROLE "{role}" NOLOGIN'))
    apply_grants(conn)


def apply_grants(conn: Connection) -> None:
    """Grants and RLS policies for every tenant table and view (idempotent)."""
    readers = f'"{ANALYST}", "{TENANT_READER}"'
    conn.execute(text(f"GRANT USAGE ON SCHEMA {_schema(conn)} TO {readers}"))
    for table in schema.TENANT_TABLES:
        columns = ", ".join(f'"{c.name}"' for c in table.columns
                            if c.name not in SECRET_COLUMNS.get(table.name, set()))
        conn.execute(text(f"REVOKE ALL ON {table.name} FROM {readers}"))
        conn.execute(text(f"GRANT SELECT ({columns}) ON {table.name} TO {readers}"))
        _policy(conn, table.name, "ig_analyst_reads_all", ANALYST, "true")
        _policy(conn, table.name, "ig_tenant_reads_own", TENANT_READER, _TENANT_POLICY)
    member = schema.ig_tenant_member.name
    conn.execute(text(f"GRANT SELECT ON {member} TO {readers}"))
    _policy(conn, member, "ig_analyst_reads_all", ANALYST, "true")
    _policy(conn, member, "ig_tenant_reads_own", TENANT_READER, "member_role = current_user")
    conn.execute(text(f'GRANT SELECT ON {schema.instagram_alert_log.name} TO "{ANALYST}"'))
    for view in VIEWS:
        conn.execute(text(f"GRANT SELECT ON {view} TO {readers}"))
    apply_timeouts(conn)


def apply_timeouts(conn: Connection) -> list[str]:
    """READER_TIMEOUTS on the reader groups and every member role; returns the roles set. A role this
    user may not alter (no CREATEROLE/ADMIN on it) is skipped: ``ig-pipeline roles`` as its owner sets it."""
    done = []
    for role in conn.execute(_READERS, {"a": ANALYST, "t": TENANT_READER}).scalars():
        try:
            with conn.begin_nested():
                for name, value in READER_TIMEOUTS.items():
                    conn.execute(text(f'ALTER ROLE "{role}" SET {name} = {_literal(conn, value)}'))
            done.append(role)
        except ProgrammingError:  # insufficient privilege
            continue
    return done


def add_member(conn: Connection, role: str, *, tenant: str | None = None, password: str | None = None) -> str:
    """Create ``role`` when missing (LOGIN when a password is given) and make it an analyst, or a reader
    of ``tenant``'s rows. Returns what was done, for the terminal."""
    if not _ROLE_NAME.fullmatch(role):
        raise RoleError(f"role name {role!r} must be lower-case letters, digits and _ (not starting with a digit)")
    if role in (ANALYST, TENANT_READER):
        raise RoleError(f"{role} is a group role; name a member role")
    ensure_roles(conn)
    created = not _role_exists(conn, role)
    if created:
        _require_createrole(conn)
        conn.execute(text(f'CREATE ROLE "{role}" {"LOGIN" if password else "NOLOGIN"}'))
    if password:
        conn.execute(text(f'ALTER ROLE "{role}" LOGIN PASSWORD {_literal(conn, password)}'))
    group = TENANT_READER if tenant else ANALYST
    conn.execute(text(f'GRANT "{group}" TO "{role}"'))
    if tenant:
        conn.execute(text(f"INSERT INTO {schema.ig_tenant_member.name} (member_role, owner_id) "
                          "VALUES (:r, :o) ON CONFLICT DO NOTHING"), {"r": role, "o": tenant})
    apply_timeouts(conn)
    scope = f"rows of tenant {tenant}" if tenant else "every row"
    return f"role {role} ({'created' if created else 'existing'}) reads {scope}"


def _policy(conn: Connection, table: str, name: str, role: str, using: str) -> None:
    conn.execute(text(f"DROP POLICY IF EXISTS {name} ON {table}"))
    conn.execute(text(f'CREATE POLICY {name} ON {table} FOR SELECT TO "{role}" USING ({using})'))


def _role_exists(conn: Connection, role: str) -> bool:
    return conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first() is not None


def _require_createrole(conn: Connection) -> None:
    row = conn.execute(text("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"))
    if not row.scalar_one():
        raise RoleError("the warehouse user may not create roles (needs CREATEROLE): run "
                        "`ig-pipeline roles` once as a user that has it, e.g. the database owner")


def _schema(conn: Connection) -> str:
    return conn.execute(text("SELECT quote_ident(current_schema())")).scalar_one()


def _literal(conn: Connection, value: str) -> str:
    return conn.execute(text("SELECT quote_literal(:v)"), {"v": value}).scalar_one()
