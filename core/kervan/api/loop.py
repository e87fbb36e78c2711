"""Run engine and connector coroutines on the process's engine loop from a request handler.

Connectors are cached per connection with HTTP clients bound to that loop, so the API must
not await them on its own loop."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from fastapi import Request


async def on_engine_loop(request: Request, coro: Coroutine[Any, Any, Any]) -> Any:
    loop = request.app.state.runtime.loop.loop
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop))
