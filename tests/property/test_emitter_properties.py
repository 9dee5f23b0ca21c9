"""Property tests: whatever the emitter writes reads back as the same object."""
from __future__ import annotations

import math
import re

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postrender import emitter, yamlio

TRICKY = st.sampled_from([
    "1.0", "yes", "NO", "on", "0755", "0o17", "0x1F", "0b11", "y", "n", "~", "null", "True",
    "2024-01-01", "2024-01-01T00:00:00Z", "1e3", ".inf", "-.Inf", ".NaN", "12_000", "1:30", "+1",
    "", " ", " a", "a ", "-", "- a", "--x", "a: b", "a:b", "a:", "#x", "a #b", "'q'", '"d"', "*a",
    "&a", "!t", "%p", "@x", "`x", "{a}", "[a]", ",", "?", "? a", "|", ">", "--- ", "---", "...",
    "<<", "=", "\t", "a\tb", "\n", "\n\n", "\r\n", " \n", "a\n ", "\ta\n", " a\n"])
# Characters with a meaning to YAML readers, mixed into otherwise random text.
SPECIAL = st.sampled_from(list(" \t\n\r#:-?,'\"|>[]{}&*!%@`\\\x00\x07\x1b\x7f\x85\x9f\xa0"
                               "\u2028\u2029\u200f\u202e\ufeff\ufffe\uffff\u0301\U0001F600"))
CHAR = st.one_of(st.characters(blacklist_categories=("Cs",)), SPECIAL)
TEXT = st.one_of(TRICKY, st.text(CHAR, max_size=24))
LINE = st.text(st.one_of(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
                         st.sampled_from(list(" \t#:-|>'\"%"))), max_size=16)
# Config-file-like text: lines joined by LF or CRLF, with 0-3 trailing line breaks.
MULTILINE = st.builds(lambda lines, sep, end: sep.join(lines) + sep * end,
                      st.lists(LINE, min_size=1, max_size=5), st.sampled_from(["\n", "\r\n"]),
                      st.integers(0, 3))
STRINGS = st.one_of(TEXT, MULTILINE)
NUMBERS = st.one_of(st.integers(-10**20, 10**20),
                    st.floats(allow_nan=False), st.booleans(), st.none())
SCALARS = st.one_of(STRINGS, NUMBERS)
KEYS = st.one_of(TEXT, st.integers(-1000, 1000), st.booleans(), st.none(),
                 st.text("abcdefghijklmnopqrstuvwxyz-_./", min_size=1, max_size=12))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)), max_leaves=16)
DOCUMENTS = st.one_of(st.dictionaries(KEYS, VALUES, max_size=5), st.lists(VALUES, max_size=4))

READERS = {
    "yamlio.Loader": lambda text: yaml.load(text, Loader=yamlio.Loader),
    "CSafeLoader": lambda text: yaml.load(text, Loader=yaml.CSafeLoader),
    "safe_load": yaml.safe_load,
}


def same(a, b) -> bool:
    """Equality that also holds for NaN at the same place and bool/int kept apart."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def plain_scalars(node):
    if isinstance(node, yaml.ScalarNode):
        if node.style is None:
            yield node
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from plain_scalars(key)
            yield from plain_scalars(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from plain_scalars(item)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS)
def test_every_reader_reads_the_emitted_text_back_as_the_same_object(obj):
    text = emitter.emit(obj)
    assert text.endswith("\n") and not text.startswith("---")
    for name, read in READERS.items():
        assert same(read(text), obj), f"{name} misread {text!r}"


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(KEYS, st.one_of(st.floats(), st.lists(st.floats(), max_size=3)),
                       max_size=4))
def test_floats_including_nan_and_infinities_read_back(obj):
    text = emitter.emit(obj)
    for read in READERS.values():
        assert same(read(text), obj)


@settings(max_examples=300, deadline=None)
@given(DOCUMENTS)
def test_no_plain_scalar_could_be_a_non_string_for_go_yaml_or_yaml_12(obj):
    text = emitter.emit(obj)
    for node in plain_scalars(yaml.compose(text, Loader=yaml.SafeLoader) or yaml.ScalarNode(
            "tag:yaml.org,2002:null", "")):
        if node.tag == "tag:yaml.org,2002:str":
            assert not yamlio._AMBIGUOUS.match(node.value), text


@settings(max_examples=300, deadline=None)
@given(MULTILINE)
def test_multiline_text_without_trailing_blanks_or_crlf_is_a_literal_block(value):
    text = emitter.emit({"data": {"file": value}})
    assert same(yaml.safe_load(text), {"data": {"file": value}})
    block = ("\r" not in value and value.strip("\n") and "\n" in value
             and not any(line.endswith((" ", "\t")) for line in value.split("\n"))
             and all(c not in value for c in "\x85\ufeff"))
    assert text.startswith("data:\n  file: |") == bool(block), text


@settings(max_examples=200, deadline=None)
@given(DOCUMENTS)
def test_emitted_text_is_stable_through_a_second_round(obj):
    # Helm renders again and again: a second round must not drift.
    text = emitter.emit(obj)
    assert emitter.emit(yaml.load(text, Loader=yamlio.Loader)) == text


ASCII_TEXT = st.one_of(TRICKY, st.text(st.characters(max_codepoint=0x7f), max_size=24))


@given(ASCII_TEXT)
@settings(max_examples=300)
def test_ascii_builds_of_the_patterns_decide_ascii_text_as_the_full_builds(text):
    for pattern in (emitter._PLAIN, emitter._QUOTE_DOUBLE, emitter._NOT_BLOCK):
        full = re.compile(pattern._build(emitter._NON_ASCII))
        assert bool(pattern.match(text)) == bool(full.match(text))
        assert bool(pattern.search(text)) == bool(full.search(text))
