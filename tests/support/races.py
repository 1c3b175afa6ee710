"""Many people at the same moment: each attempt in a thread of its own, with its own app context,
session and pooled connection (as a request has), all released together."""
from __future__ import annotations

import threading
from collections.abc import Callable


def at_once(app, attempts: list[Callable[[], str]], timeout: float = 60) -> list[str]:
    """Run the attempts together; each returns what happened to it in a word ("bought", "full"…).
    An exception an attempt does not turn into a word is reported as "error: …", never hidden."""
    from marketplace.extensions import db

    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(attempts), timeout=30)

    def run(attempt: Callable[[], str]) -> None:
        with app.app_context():
            try:
                start.wait()
                outcome = attempt()
            except Exception as error:  # a database error would be a bug: report it, do not hide it
                outcome = f"error: {type(error).__name__}: {error}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(attempt,)) for attempt in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return outcomes
