"""``docmill serve`` notices a lost Prefect API within seconds, not after Prefect's retries.

A call the runner has in flight when the server dies is retried by Prefect's client
for about a minute; :func:`docmill.orchestration.serve.watch` runs beside the runner
and ends it as soon as ``/health`` stops answering. Tested against a real HTTP
server on the loopback that answers ``/api/health`` and is then shut down.
"""

from __future__ import annotations

import asyncio
import http.server
import threading
import time
from collections.abc import Iterator

import pytest

from docmill.orchestration.serve import ApiLost, _PolicyHook, watch


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/api/health" else 404)
        self.end_headers()
        self.wfile.write(b"true")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: no line per request."""


@pytest.fixture
def api() -> Iterator[tuple[str, http.server.ThreadingHTTPServer]]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api", server
    finally:
        server.shutdown()
        server.server_close()


def test_a_lost_api_is_noticed_within_seconds_and_said_once(
    api: tuple[str, http.server.ThreadingHTTPServer], capsys: pytest.CaptureFixture[str]
) -> None:
    url, server = api
    hook = _PolicyHook("one", url)

    async def scenario() -> float:
        watcher = asyncio.create_task(watch(hook, 0.2))
        await asyncio.sleep(1.0)
        assert not watcher.done()  # the API answers: serving goes on
        await asyncio.to_thread(server.shutdown)
        server.server_close()
        lost_at = time.monotonic()
        with pytest.raises(ApiLost):
            await asyncio.wait_for(watcher, timeout=15)
        return time.monotonic() - lost_at

    noticed_after = asyncio.run(scenario())
    assert noticed_after < 5, noticed_after
    with pytest.raises(ApiLost):
        raise hook.lost()  # a later check finding it too: said once only
    assert capsys.readouterr().err.count("lost the Prefect API") == 1
