"""Governor decisions from usage headers; blocks are per account."""

from __future__ import annotations

import json

import pytest

from ig_pipeline.graph.errors import ErrorClass, GraphError
from ig_pipeline.graph.governor import Governor, parse_usage
from ig_pipeline_tests.graph.fake import FakeTime, run


def buc(call_count=0, cpu=0, total=0, regain=0, key="17841400000000001", kind="instagram"):
    return {"x-business-use-case-usage": json.dumps({key: [{"type": kind, "call_count": call_count,
                                                            "total_cputime": cpu, "total_time": total,
                                                            "estimated_time_to_regain_access": regain}]})}


def test_parse_usage_takes_the_max_over_keys_and_fields():
    headers = {"x-business-use-case-usage": json.dumps({
        "1": [{"type": "instagram", "call_count": 10, "total_cputime": 81, "total_time": 3,
               "estimated_time_to_regain_access": 0}],
        "2": [{"type": "pages", "call_count": 40, "estimated_time_to_regain_access": 5}]}),
        "x-app-usage": '{"call_count":28,"total_cputime":25,"total_time":30}'}
    assert parse_usage(headers) == (81, 5, 30)
    assert parse_usage({}) == (None, None, None)
    assert parse_usage({"x-business-use-case-usage": "not json", "x-app-usage": "[]"}) == (None, None, None)


def test_delay_grows_past_75_and_pauses_at_95():
    governor = Governor()
    assert governor.delay_for(0) == governor.delay_for(74.9) == 0
    assert 0 < governor.delay_for(80) < governor.delay_for(90) < governor.pause_s
    assert governor.delay_for(95) == governor.delay_for(100) == governor.pause_s


def test_slows_down_for_the_hot_account_only():
    t = FakeTime()
    governor = Governor(clock=t.clock, sleep=t.sleep)
    governor.observe("hot", buc(call_count=85))
    governor.observe("cool", buc(call_count=10))
    run(governor.before_call("cool"))
    assert t.slept == []
    run(governor.before_call("hot"))
    assert len(t.slept) == 1 and t.slept[0] > 0


def test_missing_header_is_unknown_and_old_usage_is_forgotten():
    t = FakeTime()
    governor = Governor(clock=t.clock, sleep=t.sleep)
    governor.observe("a", buc(call_count=90))
    governor.observe("a", {})  # unknown: keeps what we knew
    assert governor.usage("a") == 90
    t.now += governor.stale_after_s + 1
    assert governor.usage("a") == 0


def test_regain_time_blocks_the_account_and_long_blocks_fail_fast():
    t = FakeTime()
    governor = Governor(clock=t.clock, sleep=t.sleep, max_wait_s=120)
    governor.observe("a", buc(call_count=100, regain=1))
    run(governor.before_call("a"))
    assert t.slept == [60]
    run(governor.before_call("b"))  # other accounts are not blocked
    assert t.slept == [60]
    governor.observe("a", buc(call_count=100, regain=60))
    with pytest.raises(GraphError) as raised:
        run(governor.before_call("a"))
    assert raised.value.error_class == ErrorClass.RATE_LIMITED and raised.value.retry_after_s == 3600


def test_app_usage_slows_everyone():
    governor = Governor()
    governor.observe("a", {"x-app-usage": '{"call_count":96}'})
    assert governor.wait_before_call("zzz") == governor.pause_s
