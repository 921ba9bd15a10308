import math
import random
import struct
import unittest

import harness  # noqa: F401  (puts src on sys.path)
from tidebase import input_hash, stable_stringify
from tidebase.input_hash import js_number

NULL_HASH = "sha256:74234e98afe7498fb5daf1f36ac2d78acc339464f950703b8c019892f982b90b"


def sample_values():
    rng = random.Random(7)
    floats = [struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0] for _ in range(400)]
    floats = [f for f in floats if math.isfinite(f)]
    return [
        None,
        {"b": [1, "two", {"d": None, "c": True}], "a": "héllo ✓ 😀"},
        {"\ue000": 1, "\U0001F600": 2, 'quote"back\\slash\n\t': 3, "\x01ctl": 4, "\x7f": 5, "\u2028": 6},
        [1.0, 2.5, 1e21, 1e20, -1e-7, 1e-6, 0.1 + 0.2, 5e-324, 2**53 + 1, -0.0],
        {"topic": "tides", "n": 3, "nested": {"z": [], "y": {}, "x": ""}},
        floats,
    ]


class InputHashTest(unittest.TestCase):
    def test_no_input_hashes_like_json_null_as_the_typescript_sdk_stored_it(self):
        self.assertEqual(input_hash(None), NULL_HASH)

    def test_object_key_order_never_changes_the_hash(self):
        self.assertEqual(
            input_hash({"a": 1, "b": {"c": [1, {"x": 1, "y": 2}], "d": "e"}}),
            input_hash({"b": {"d": "e", "c": [1, {"y": 2, "x": 1}]}, "a": 1}),
        )

    def test_different_values_array_orders_and_types_hash_differently(self):
        hashes = [input_hash(v) for v in ({"a": 1}, {"a": "1"}, {"a": [1, 2]}, {"a": [2, 1]}, None, {}, [])]
        self.assertEqual(len(set(hashes)), len(hashes))

    def test_numbers_and_strings_are_written_as_javascript_json_stringify_writes_them(self):
        self.assertEqual(stable_stringify([1.0, 1e21, 1e-7, 123.456, -0.0, 2**53 + 1]), "[1,1e+21,1e-7,123.456,0,9007199254740992]")
        self.assertEqual(stable_stringify({"é": "\u2028\x00"}), '{"é":"\u2028\\u0000"}')
        self.assertEqual(js_number(0.000001), "0.000001")
        self.assertEqual(stable_stringify({"b": 1, "a": (1, 2)}), '{"a":[1,2],"b":1}')

    def test_keys_sort_by_utf16_code_units_like_javascript(self):
        # U+1F600 is a surrogate pair (0xD83D...) and sorts before U+E000 in JavaScript, after it by code point.
        self.assertEqual(stable_stringify({"\ue000": 1, "\U0001F600": 2}), '{"\U0001F600":2,"\ue000":1}')

    def test_hashes_equal_the_typescript_domain_input_hash_for_the_same_values(self):
        values = sample_values()
        expected = harness.node_input_hashes(values)
        if expected is None:
            self.skipTest("node with tsx cannot run packages/domain/src/InputHash.ts here")
        self.assertEqual([input_hash(v) for v in values], expected)


if __name__ == "__main__":
    unittest.main()
