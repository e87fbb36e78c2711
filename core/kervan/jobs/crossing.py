"""An exception raised in an engine process, carried to the serving process intact.

The retry policy (:func:`kervan.jobs.deadletters.should_retry`) and the dead letters read an
exception's class, ``retryable`` and ``message``, so what the serving process re-raises must
be the same class with the same attributes. Plain pickling does not always give that: it
rebuilds an exception by calling its class with ``args``, and an error whose ``__init__``
takes something else than its message (``DocumentInvalid(report)``, ``RemoteError`` keyword
fields) breaks or loses fields on the way back. :func:`pack` therefore tries plain pickling,
then a rebuild that sets ``args`` and ``__dict__`` without calling ``__init__``, and checks
that what it packed unpacks; an exception neither carries (an unpicklable field, a class the
other side cannot import) becomes a :class:`ForeignError` that keeps the class's name, the
message and (for a Kervan error) ``retryable`` and ``code``, so the policy decides the same.
The engine process's traceback rides along as a note on the exception.
"""

from __future__ import annotations

import io
import os
import pickle
import traceback
from typing import Any

from ..errors import KervanError


class ForeignError(Exception):
    """Stands for an exception that could not cross from an engine process as itself."""

    def __init__(self, message: str, *, type_name: str) -> None:
        super().__init__(message)
        self.message, self.type_name = message, type_name


class ForeignKervanError(KervanError):
    """Stands for a Kervan error that could not cross as itself; same ``retryable``/``code``."""

    def __init__(
        self, message: str, *, type_name: str, retryable: bool = False, code: str = "error"
    ) -> None:
        super().__init__(message)
        self.type_name, self.retryable, self.code = type_name, retryable, code


def _rebuild(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class _StatePickler(pickle.Pickler):
    """Pickles exceptions by class, ``args`` and ``__dict__`` (no ``__init__`` on the way back)."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, BaseException) and hasattr(obj, "__dict__"):
            return _rebuild, (type(obj), obj.args, dict(obj.__dict__))
        return NotImplemented


def _by_state(exc: BaseException) -> bytes:
    buffer = io.BytesIO()
    _StatePickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(exc)
    return buffer.getvalue()


def _stand_in(exc: BaseException) -> BaseException:
    message = str(getattr(exc, "message", exc))
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    if isinstance(exc, KervanError):
        return ForeignKervanError(
            message, type_name=name, retryable=exc.retryable, code=str(exc.code)
        )
    return ForeignError(f"{type(exc).__name__}: {message}", type_name=name)


def pack(exc: BaseException) -> bytes:
    """``exc`` as bytes :func:`unpack` turns back into the same class and attributes."""
    tb = "".join(traceback.format_exception(exc)).rstrip()
    exc.__traceback__ = None  # not picklable, and the text above says it
    note = f"raised in engine process {os.getpid()}:\n{tb}"
    notes = list(getattr(exc, "__notes__", ()))
    exc.__notes__ = [*notes, note]
    for dump in (pickle.dumps, _by_state):
        try:
            data = dump(exc)
            back = pickle.loads(data)  # noqa: S301 - our own bytes, checked before sending
        except Exception:  # noqa: S112 - the next way, and in the end a stand-in
            continue
        if type(back) is type(exc) and str(back) == str(exc):
            return data
    stand_in = _stand_in(exc)
    stand_in.__notes__ = [note]
    return _by_state(stand_in)


def unpack(data: bytes) -> BaseException:
    """The exception :func:`pack` packed (in the serving process: raise it)."""
    try:
        exc = pickle.loads(data)  # noqa: S301 - from our own child, over a private pipe
    except Exception as failure:  # the classes differ between the two processes
        message = f"an engine process's error could not be read back: {failure}"
        return ForeignError(message, type_name="unknown")
    if not isinstance(exc, BaseException):
        return ForeignError(f"an engine process sent {type(exc).__name__}", type_name="unknown")
    return exc
