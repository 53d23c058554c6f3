"""Downloads of audit exports through their signed URLs (resolvers/audit/exports.py): the
URL is the credential, so nothing else is asked, and a bad or expired one is a plain 404."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gatehouse.resolvers.audit.exports import signed_file

MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}


async def download(request: Request) -> Response:
    export_id = str(request.path_params["export_id"])
    fmt = str(request.path_params["fmt"])
    export = await signed_file(
        export_id,
        fmt,
        request.query_params.get("expires", ""),
        request.query_params.get("signature", ""),
        request.app.state.settings.secret_key,
    )
    if export is None:
        return JSONResponse(
            {"error": "not_found", "message": "This link is invalid or has expired."},
            status_code=404,
            headers={"Cache-Control": "no-store"},
        )
    return Response(
        export.csv if fmt == "csv" else export.jsonl,
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{export.id}.{fmt}"',
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        },
    )


routes = [Route("/audit/exports/{export_id}.{fmt}", download, methods=["GET"])]
