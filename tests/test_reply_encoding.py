"""The server's replies are exactly the bytes the standard json module would write.

server/app.py encodes replies with msgspec (several times faster on Russian
text); clients, ETags and the committed examples rely on the bytes staying
those of ``json.dumps(data, ensure_ascii=False, separators=(",", ":"))``.
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from vksupport_cli.server.app import _encode

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=500)
@given(JSON_VALUES)
def test_a_reply_is_the_bytes_json_dumps_writes(value):
    assert _encode(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def test_russian_text_quotes_and_control_characters_are_written_alike():
    value = {"title": 'Взломали "страницу"\n\t\x01\u2028', "n": [1, None, True]}
    assert _encode(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
