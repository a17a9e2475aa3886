"""The data dictionary (docs/warehouse.md), generated from the schema, the metric catalog and the notes below.

Metric columns are described from the catalog (API metric, period, breakdown, retirement), so the
dictionary cannot drift from what is loaded; the tables and their other columns are described in
warehouse/table_notes.py, the views in warehouse/view_notes.py.
A test fails when docs/warehouse.md differs from ``render()`` or a column is undocumented.
Regenerate with ``python -m ig_pipeline.warehouse.dictionary > docs/warehouse.md``.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql

from ig_pipeline.graph.catalog import ACCOUNT_METRICS, MEDIA_METRICS, Metric
from ig_pipeline.warehouse import schema
from ig_pipeline.warehouse.table_notes import COLUMNS, COMMON, TABLES
from ig_pipeline.warehouse.view_notes import VIEW_COMMON, VIEWS


def _metric_for(column: str, metrics: tuple[Metric, ...]) -> tuple[Metric, str | None] | None:
    for metric in metrics:
        if metric.column == column:
            return metric, None
        for value, col in metric.breakdown_columns.items():
            if col == column:
                return metric, value
    return None


def _describe_metric(metric: Metric, breakdown_value: str | None) -> str:
    parts = [f"API `{metric.name}`"]
    if breakdown_value:
        parts.append(f"breakdown {metric.breakdown}={breakdown_value}")
    parts.append(f"period={metric.period}")
    text = ", ".join(parts) + f"; {metric.unit}."
    if metric.description:
        text += f" {metric.description}"
    if metric.removed_everywhere_on:
        text += f" Retired by Meta on {metric.removed_everywhere_on}: NULL after that."
    return text


def column_doc(table: str, column: str) -> str | None:
    if column in COLUMNS.get(table, {}):
        return COLUMNS[table][column]
    if column in COMMON:
        return COMMON[column]
    if table == "instagram_account_daily":
        found = _metric_for(column, ACCOUNT_METRICS)
    elif table in ("instagram_media_daily", "instagram_media_intraday"):
        found = _metric_for(column, MEDIA_METRICS)
    else:
        found = None
    return _describe_metric(*found) if found else None


def view_columns(view: str) -> dict[str, str]:
    """The view's columns with their meaning: the shared ones first."""
    return {name: COMMON[name] for name in VIEW_COMMON[view]} | VIEWS[view][1]


def render() -> str:
    out = ["# Warehouse data dictionary", "",
           "Generated from `ig_pipeline/warehouse/dictionary.py` (schema + metric catalog); do not edit by hand.",
           "Days are Instagram reporting days in US Pacific time; instants are UTC `timestamptz`. A metric the",
           "API did not return is NULL, never 0. Row-level security: every table and view below that has",
           "`owner_id` shows a tenant reader only its own rows (docs/runbook.md § Roles).", "", "## Tables", ""]
    for name, (grain, source) in TABLES.items():
        table = schema.metadata.tables[name]
        key = ", ".join(c.name for c in table.primary_key.columns)
        out += [f"### {table.name}", "", f"Grain: {grain}. Key: ({key}). Source: {source}.", "",
                "| column | type | meaning |", "|---|---|---|"]
        for column in table.columns:
            doc = column_doc(table.name, column.name) or "UNDOCUMENTED"
            out.append(f"| `{column.name}` | {column.type.compile(dialect=postgresql.dialect()).lower()} | {doc} |")
        out.append("")
    out += ["## Views", "", "All views are `security_invoker`: a reader sees through them only what row-level "
            "security lets it see in the tables.", ""]
    for view, (grain, _) in VIEWS.items():
        out += [f"### {view}", "", f"Grain: {grain}.", "", "| column | meaning |", "|---|---|"]
        for name, doc in view_columns(view).items():
            out.append(f"| `{name}` | {doc} |")
        out.append("")
    return "\n".join(out)


def apply_comments(conn) -> int:
    """COMMENT ON every documented table, view and column, so SQL clients show the dictionary."""
    statements = []
    for name, (grain, source) in TABLES.items():
        statements.append(f"COMMENT ON TABLE {name} IS {_quote(f'Grain: {grain}. Source: {source}.')}")
        for column in schema.metadata.tables[name].columns:
            statements.append(f"COMMENT ON COLUMN {name}.{column.name} IS {_quote(column_doc(name, column.name))}")
    for view, (grain, _) in VIEWS.items():
        statements.append(f"COMMENT ON VIEW {view} IS {_quote(f'Grain: {grain}.')}")
        for column, doc in view_columns(view).items():
            statements.append(f"COMMENT ON COLUMN {view}.{column} IS {_quote(doc)}")
    conn.exec_driver_sql(";\n".join(statements))  # COMMENT takes no bind parameters
    return len(statements)


def _quote(value: str) -> str:
    """A SQL string literal (standard_conforming_strings, on by default since Postgres 9.1)."""
    return "'" + value.replace("'", "''") + "'"


if __name__ == "__main__":
    print(render())
