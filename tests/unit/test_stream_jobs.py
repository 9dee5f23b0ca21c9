"""Parsing a stream in several processes gives what one process gives, errors included."""
from __future__ import annotations

import os
import signal

import pytest

from postrender import forked, stream
from postrender.errors import InputError
from tests.conftest import SAMPLE_STREAMS


@pytest.fixture(autouse=True)
def any_size(monkeypatch):
    """Children for every stream, not only for those of a megabyte or more."""
    monkeypatch.setattr(stream, "PARALLEL_MIN_BYTES", 0)


def big_stream() -> str:
    # Empty and comment-only documents shift document numbers against chunk
    # positions: both must stay right across the parts.
    parts, size, i = [], 0, 0
    # Every sample once, then again until it is as large as the nine fixtures
    # (the project's own inputs are smaller): enough text for five processes.
    while i < len(SAMPLE_STREAMS) or size < 1_300_000:
        text = SAMPLE_STREAMS[i % len(SAMPLE_STREAMS)].read_text()
        parts.append(text)
        parts.append(f"---\n# Source: x/templates/empty-{i}.yaml\n---\n")
        size, i = size + len(text), i + 1
    return "".join(parts)


def summary(documents):
    return [(d.index, d.obj, d.text, d.header, d.source) for d in documents]


def children(parsing: stream.Parsing) -> list[forked.Child]:
    return [child for _, _, child in parsing.parts if child is not None]


@pytest.mark.parametrize("jobs", [2, 3, 5])
def test_children_parse_what_one_process_parses(jobs):
    text = big_stream()
    with stream.Parsing(text, jobs=jobs) as parsing:
        assert len(children(parsing)) == jobs - 1
        documents = parsing.documents()
    assert summary(documents) == summary(stream.parse(text, jobs=1))


def test_parts_cover_every_chunk_once_in_order():
    with stream.Parsing(big_stream(), jobs=3) as parsing:
        bounds = [(start, end) for start, end, _ in parsing.parts]
        parsing.documents()
    assert bounds[0][0] == 0 and bounds[-1][1] == len(parsing.chunks)
    assert all(end == start for (_, end), (start, _) in zip(bounds, bounds[1:]))
    assert all(start < end for start, end in bounds)


def test_small_stream_or_one_job_starts_no_child(monkeypatch):
    with stream.Parsing(big_stream(), jobs=1) as parsing:
        assert children(parsing) == []
    monkeypatch.setattr(stream, "PARALLEL_MIN_BYTES", 1 << 40)
    with stream.Parsing(big_stream(), jobs=4) as parsing:
        assert children(parsing) == []


def error(text: str, jobs: int) -> str:
    with pytest.raises(InputError) as info:
        stream.parse(text, jobs=jobs)
    return str(info.value)


def test_error_in_a_childs_part_is_worded_as_in_one_process():
    bad = "---\n# Source: x/templates/bad.yaml\napiVersion: v1\nkind: a: b\n"
    text = big_stream() + bad
    message = error(text, jobs=3)
    assert message == error(text, jobs=1)
    assert message.startswith("x/templates/bad.yaml:")


def test_first_error_in_stream_order_wins_over_a_later_one_in_a_child():
    bad = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {}\n"
    text = bad + "---\n" + big_stream() + bad.replace("ConfigMap", "Secret")
    message = error(text, jobs=2)
    assert "document 1 ConfigMap: metadata.name" in message
    assert message == error(text, jobs=1)


def test_child_killed_by_a_signal_leaves_its_part_to_this_process(monkeypatch):
    def die(part):
        os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(stream, "_parse_part", die)
    text = big_stream()
    with stream.Parsing(text, jobs=2) as parsing:
        assert children(parsing)
        documents = parsing.documents()
    assert summary(documents) == summary(stream.parse(text, jobs=1))


def test_refused_fork_means_one_process(monkeypatch):
    def refuse():
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refuse)
    text = big_stream()
    with stream.Parsing(text, jobs=2) as parsing:
        assert all(child.pid is None for child in children(parsing))
        documents = parsing.documents()
    assert summary(documents) == summary(stream.parse(text, jobs=1))


def test_leaving_early_stops_and_reaps_every_child(monkeypatch):
    monkeypatch.setattr(stream, "_parse_part", lambda part: signal.pause())
    with pytest.raises(RuntimeError):
        with stream.Parsing(big_stream(), jobs=3) as parsing:
            pids = [child.pid for child in children(parsing)]
            raise RuntimeError("the overlay failed to load")
    assert len(pids) == 2
    for pid in pids:
        with pytest.raises(ChildProcessError):  # already reaped: no zombie left
            os.waitpid(pid, os.WNOHANG)


def test_child_result_is_whatever_the_work_returned():
    child = forked.Child(lambda: {"a": [1, 2.5, None, "x"]})
    assert child.result() == {"a": [1, 2.5, None, "x"]}
    failing = forked.Child(lambda: 1 / 0)
    assert failing.result() is None
