"""The Graph client's own form encoder writes exactly what urllib.parse.urlencode writes."""

from __future__ import annotations

import json
import random
from urllib.parse import urlencode

from ig_pipeline.graph.client import form_encode


def test_form_encode_matches_urlencode_byte_for_byte():
    rng = random.Random(17)
    alphabet = [chr(c) for c in range(0, 256)] + list("é€😀 中文&=+%#?/:,[]{}\"'\\\n\t")
    cases = [{"batch": json.dumps([{"method": "GET", "relative_url": "v24.0/1/insights?metric=reach,views&since=1"}]),
              "include_headers": "true", "appsecret_proof": "ab12", "appsecret_time": "1700000000"},
             {"metric": "reach,views", "limit": 100, "since": None, "empty": ""}]
    cases += [{"".join(rng.choices(alphabet, k=rng.randint(0, 8))): "".join(rng.choices(alphabet, k=rng.randint(0, 300)))
               for _ in range(rng.randint(1, 4))} for _ in range(300)]
    for fields in cases:
        assert form_encode(fields) == urlencode(fields), fields
