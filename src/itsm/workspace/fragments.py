"""Sections of a page drawn once per state of what they show, then served from the cache.

A section is cached under a key the view builds from exactly the values its template reads
(the ticket's number and version, the transitions offered, the names in a list...), plus the
language and the script prefix the tag adds. Two viewers who would see the same markup share
it; a viewer who would see something else has another key. The view passes no key (``None``)
when a section shows input being corrected, which is drawn fresh.

The CSRF token differs per browser session: sections are drawn with a placeholder in its place,
and the token of the request is put in when the section is served.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.cache import cache
from django.template import Context
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

#: Letters only: ``{% csrf_token %}`` escapes its value, and this must come out unchanged.
CSRF_PLACEHOLDER = "CsrfTokenPlaceholderOfACachedSection"

#: What ``{% csrf_token %}`` finds when a template is drawn without a request: it draws nothing.
_NO_TOKEN = "NOTPROVIDED"  # noqa: S105 - a marker, not a secret

#: Keys change with what the sections show; this only bounds the memory of idle tickets.
SECTION_SECONDS = 3600


def section_cache_key(template_name: str, key: tuple[Any, ...], oob: bool) -> str:
    parts = repr((template_name, key, oob, get_language(), get_script_prefix()))
    digest = hashlib.sha1(parts.encode(), usedforsecurity=False).hexdigest()
    return f"workspace:section:{digest}"


def render_section(context: Context, template_name: str, key: tuple[Any, ...] | None) -> SafeString:
    """``{% include template_name %}``, kept under ``key`` when there is one."""
    template = context.template.engine.get_template(template_name)  # type: ignore[union-attr]
    token = str(context.get("csrf_token") or "")
    if key is None or not token or token == _NO_TOKEN:
        return template.render(context)
    cache_key = section_cache_key(template_name, key, bool(context.get("oob")))
    html: str | None = cache.get(cache_key)
    if html is None:
        with context.push(csrf_token=CSRF_PLACEHOLDER):
            html = str(template.render(context))
        cache.set(cache_key, html, SECTION_SECONDS)
    # The token is letters and digits (Django's alphabet): nothing in it needs escaping.
    return mark_safe(html.replace(CSRF_PLACEHOLDER, token))  # noqa: S308
