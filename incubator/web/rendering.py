"""One template answers the full page and, for htmx, only the block it swaps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Request
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Response, Template


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    return isinstance(request, HTMXRequest) and bool(request.htmx) and not request.htmx.boosted


def render(
    request: Request[Any, Any, Any],
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    block: str | Sequence[str] | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Template:
    """The page, or for an htmx request the named block(s) of the same template.

    `me` (the signed-in identity or None) is in every context, so a block rendered alone
    sees it as the whole page does."""
    values = {"me": request.scope.get("user"), **(context or {})}
    if block is not None and is_htmx(request):
        if isinstance(block, str):
            return HTMXBlockTemplate(
                template_name=template,
                block_name=block,
                context=values,
                status_code=status_code,
                headers=dict(headers or {}),
            )
        return HTMXBlockTemplate(
            template_name=template,
            block_names=list(block),
            context=values,
            status_code=status_code,
            headers=dict(headers or {}),
        )
    return Template(
        template_name=template,
        context=values,
        status_code=status_code,
        headers=dict(headers or {}),
    )


def redirect_after_post(request: Request[Any, Any, Any], url: str) -> Response[Any]:
    """303 to the new address; htmx follows `HX-Redirect` instead of swapping a page in."""
    if is_htmx(request):
        return Response(content=b"", status_code=200, headers={"HX-Redirect": url})
    return Redirect(path=url, status_code=303)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: `//evil.example` and `https://…` are open redirects. Browsers
    drop tabs and newlines from URLs (`/<TAB>/evil.example` is `//evil.example`), so a
    control character anywhere refuses the target too."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ord(character) < 0x20 or character == "\x7f" for character in target):
        return default
    return target
