"""The comparison itself (no server): a column nobody expects fails, rows are matched by key, NULL is
not 0, and a Check judges what cannot be known exactly."""

from __future__ import annotations

from datetime import UTC, datetime

from ig_pipeline_tests.truth.compare import compare
from ig_pipeline_tests.truth.expected import Check, Expected, within

T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _expected(**rows) -> Expected:
    return Expected(("id",), required={(k,): {"id": k, **v} for k, v in rows.items()})


def test_a_column_the_truth_does_not_know_fails_until_it_is_given_a_value():
    stored = [{"id": "a", "reach": 5, "brand_new_metric": 7, "created_at": T, "updated_at": T}]
    report = compare("t", list(stored[0]), stored, _expected(a={"reach": 5}))
    assert report.uncovered == ["brand_new_metric"] and not report.ok
    assert "created_at" not in report.columns and "updated_at" not in report.columns  # bookkeeping


def test_null_is_not_zero_and_rows_are_matched_by_key():
    stored = [{"id": "a", "reach": None}, {"id": "b", "reach": 3}, {"id": "x", "reach": 1}]
    report = compare("t", ["id", "reach"], stored, _expected(a={"reach": 0}, b={"reach": 3}, c={"reach": 1}))
    assert report.missing_rows == [("c",)] and report.unexpected_rows == [("x",)]
    assert (report.equal["reach"], report.total["reach"]) == (1, 2) and not report.column_ok("reach")


def test_optional_rows_may_be_absent_but_are_compared_when_present():
    expected = Expected(("id",), optional={("a",): {"id": "a", "v": 1}, ("b",): {"id": "b", "v": 2}})
    report = compare("t", ["id", "v"], [{"id": "a", "v": 9}], expected)
    assert report.missing_rows == [] and not report.column_ok("v")


def test_checks_and_row_counts():
    bounds = (T, T.replace(minute=1))
    expected = Expected(("id",), optional={("n",): {"id": "n", "at": within(bounds),
                                                    "token": Check(lambda v: v == b"ok", "decrypts")}}, count=2)
    report = compare("t", ["id", "at", "token"], [{"id": "n", "at": T.replace(second=30), "token": b"ok"}], expected)
    assert report.column_ok("at") and report.column_ok("token") and report.wrong_count == "1 rows, expected 2"
