"""The benchmarks' server: `--compare OTHER_CHECKOUT` must run that checkout's app.py, not this one's."""

from __future__ import annotations

from pathlib import Path

from aiohttp import ClientSession, ClientTimeout

from bench.loadgen import Server

OTHER_APP = """
import os
from pathlib import Path
from aiohttp import web

Path("ran-here").write_text("yes")
app = web.Application()
app.router.add_get("/healthz", lambda request: web.Response(text="ok"))
web.run_app(app, host="127.0.0.1", port=int(os.environ["PORT"]), print=None)
"""


async def test_the_server_runs_app_py_from_the_checkout_it_is_given(tmp_path: Path):
    other = tmp_path / "other-checkout"
    other.mkdir()
    (other / "app.py").write_text(OTHER_APP)
    server = Server(tmp_path / "index", other)
    async with ClientSession(timeout=ClientTimeout(total=60)) as http:
        await server.start(http)
    try:
        assert (other / "ran-here").read_text() == "yes"
    finally:
        server.stop()
