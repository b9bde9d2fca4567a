"""Answer events from a worker thread, with ticks, so the chat can redraw on a steady beat."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator


def events_with_ticks(events: Iterator[dict], interval: float) -> Iterator[dict | None]:
    """The events of `events`, produced in a worker thread, with a None "tick" whenever `interval`
    seconds pass without one. The chat redraws at most every interval, so without ticks the last
    tokens before a pause (a backend that died, a slow verification) would stay unseen until the end.
    An exception raised by `events` is raised here."""
    inbox: queue.Queue = queue.Queue()
    finished = object()

    def produce() -> None:
        try:
            for event in events:
                inbox.put(event)
        except BaseException as exc:  # handed to the consumer, which raises it in the request's thread
            inbox.put(exc)
        inbox.put(finished)

    threading.Thread(target=produce, name="advisor-answer", daemon=True).start()
    while True:
        try:
            item = inbox.get(timeout=interval)
        except queue.Empty:
            yield None
            continue
        if item is finished:
            return
        if isinstance(item, BaseException):
            raise item
        yield item
