"""The engine's notion of "now". Nothing in the engine or the sender reads the wall clock directly.

`manage.py tick --at …`, the simulator and tests run the real code at any moment with
`with clock.frozen(at): …`.
"""

import contextlib
import contextvars

from django.utils import timezone

_frozen = contextvars.ContextVar("journey_canvas_clock", default=None)


def now():
    return _frozen.get() or timezone.now()


@contextlib.contextmanager
def frozen(at):
    if at is not None and timezone.is_naive(at):
        raise ValueError("clock.frozen() needs an aware datetime")
    token = _frozen.set(at)
    try:
        yield at
    finally:
        _frozen.reset(token)
