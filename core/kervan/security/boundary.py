"""The connector boundary: what leaves a connector passes through its redactor, once.

:func:`guard` wraps the public methods of one connector instance so that every error it raises
(and the whole ``__cause__`` chain), every :class:`~kervan.roles.CheckResult` it returns and
every :class:`~kervan.problems.RecordProblem` it yields is redacted of the connection's secrets
before anything else sees it. The engine records those errors as health, order errors,
timeline entries and dead letters, and the API returns them: all of it downstream of here, so
no caller needs to remember to scrub. Log records are redacted separately, process-wide
(:func:`kervan.redaction.install_log_redaction`).

The instance keeps its class, so ``isinstance`` checks and attribute access are unchanged;
only its bound methods are replaced by wrappers on the instance.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from ..redaction import Redactor

C = TypeVar("C")
# methods that never carry remote text (class-level helpers, lifecycle)
_SKIP = frozenset({"roles", "migrate_settings", "aclose"})


def guard(connector: C, redactor: Redactor) -> C:
    """Wrap ``connector``'s public methods with ``redactor`` (see the module doc); return it."""
    if not redactor:
        return connector
    for name, attr in inspect.getmembers(type(connector)):
        if name.startswith("_") or name in _SKIP or not inspect.isfunction(attr):
            continue
        bound = getattr(connector, name)
        if inspect.isasyncgenfunction(attr):
            wrapped: Callable[..., Any] = _async_gen(bound, redactor)
        elif inspect.iscoroutinefunction(attr):
            wrapped = _coroutine(bound, redactor)
        else:
            wrapped = _plain(bound, redactor)
        setattr(connector, name, wrapped)
    return connector


def _out(value: Any, redactor: Redactor) -> Any:
    """A returned or yielded value, redacted where it can carry remote text."""
    from ..problems import RecordProblem
    from ..roles import CheckResult

    if isinstance(value, CheckResult):
        return value.model_copy(
            update={
                "message": redactor.text(value.message),
                "details": redactor.value(value.details),
            }
        )
    if isinstance(value, list):
        return [_out(v, redactor) for v in value]
    if isinstance(value, RecordProblem):
        return value.model_copy(
            update={"reason": redactor.text(value.reason), "raw": redactor.value(value.raw)}
        )
    return value


def _coroutine(method: Callable[..., Any], redactor: Redactor) -> Callable[..., Any]:
    @functools.wraps(method)
    async def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return _out(await method(*args, **kwargs), redactor)
        except Exception as exc:
            redactor.exception(exc)
            raise

    return call


def _async_gen(method: Callable[..., Any], redactor: Redactor) -> Callable[..., Any]:
    @functools.wraps(method)
    async def iterate(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        async with contextlib.aclosing(method(*args, **kwargs)) as inner:
            try:
                async for item in inner:
                    yield _out(item, redactor)
            except Exception as exc:
                redactor.exception(exc)
                raise

    return iterate


def _plain(method: Callable[..., Any], redactor: Redactor) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            result = method(*args, **kwargs)
        except Exception as exc:
            redactor.exception(exc)
            raise
        if hasattr(result, "__anext__"):
            return _iterator(result, redactor)
        return _out(result, redactor)

    return call


async def _iterator(inner: Any, redactor: Redactor) -> AsyncIterator[Any]:
    # a plain ``def`` that returns an async iterator (``fetch_orders`` may be written so)
    try:
        async for item in inner:
            yield _out(item, redactor)
    except Exception as exc:
        redactor.exception(exc)
        raise
