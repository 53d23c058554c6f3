"""GraphiQL from files installed with the project, so the IDE works with no network.

Strawberry's own page loads React and GraphiQL from a public CDN (blank offline). The PyPI
package `graphene-django-graphiql-static` ships GraphiQL's UMD build with React, ReactDOM and
graphql-ws (MIT licences in the files' headers); we serve its files, not its Django code (it
declares no dependency, and we import nothing from it).
"""

from __future__ import annotations

import importlib.resources
import json
from functools import cache
from importlib.resources.abc import Traversable

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

ASSET_PACKAGE = "graphene_django_graphiql_static"
ASSET_ROUTE = "/graphql/ide/{name}"
ASSETS = {
    "graphiql.min.css": "text/css",
    "react.production.min.js": "text/javascript",
    "react-dom.production.min.js": "text/javascript",
    "graphiql.min.js": "text/javascript",
    "graphql-ws.min.js": "text/javascript",
}
SCRIPTS = [
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "graphql-ws.min.js",
]
# Everything the page loads comes from this server: a CDN reference would be blocked too.
CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self' ws: wss:; "
    "base-uri 'none'; frame-ancestors 'none'"
)

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Gatehouse GraphiQL</title>
<style>html, body, #graphiql {{ height: 100%; margin: 0; width: 100%; overflow: hidden; }}</style>
<link rel="stylesheet" href="{base}/graphiql.min.css">
{scripts}
</head>
<body>
<div id="graphiql">Loading…</div>
<script>
  const url = new URL({path}, window.location.href);
  const ws = new URL(url);
  ws.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const fetcher = GraphiQL.createFetcher({{
    url: url.href,
    subscriptionUrl: ws.href,
    wsClient: graphqlWs.createClient({{
      url: ws.href,
      lazy: true,
      // Subscriptions authenticate in connection_init, with the header typed in the editor.
      connectionParams: () => {{
        try {{ return JSON.parse(localStorage.getItem("graphiql:headers") || "{{}}"); }}
        catch (e) {{ return {{}}; }}
      }},
    }}),
  }});
  ReactDOM.render(
    React.createElement(GraphiQL, {{
      fetcher,
      defaultEditorToolsVisibility: true,
      headerEditorEnabled: true,
      shouldPersistHeaders: true,
    }}),
    document.getElementById("graphiql"),
  );
</script>
</body>
</html>
"""


def _asset_dir() -> Traversable:
    return importlib.resources.files(ASSET_PACKAGE).joinpath(f"static/{ASSET_PACKAGE}")


@cache
def _asset(name: str) -> bytes:
    return _asset_dir().joinpath(name).read_bytes()


def render_ide(request: Request) -> Response:
    base = request.url.path.rstrip("/") + "/ide"
    scripts = "\n".join(f'<script src="{base}/{name}"></script>' for name in SCRIPTS)
    html = PAGE.format(base=base, scripts=scripts, path=json.dumps(request.url.path))
    return HTMLResponse(html, headers={"Content-Security-Policy": CSP})


async def ide_asset(request: Request) -> Response:
    name = request.path_params["name"]
    media_type = ASSETS.get(name)
    if media_type is None:
        return JSONResponse({"error": "not_found", "message": "No such file."}, status_code=404)
    settings = request.app.state.settings
    if not settings.ide_enabled:
        return JSONResponse({"error": "not_found", "message": "No such file."}, status_code=404)
    return Response(
        _asset(name),
        media_type=media_type,
        # The files change only with the installed package: a day in the browser's cache.
        headers={"Cache-Control": "public, max-age=86400"},
    )
