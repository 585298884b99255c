"""Form widgets drawn in Python with the markup of Django's own, for the busiest pages.

Django draws each widget (and each option of a select) through a template: about 0.1 ms a
widget and 5 µs an option. The queue page draws a few hundred options and the ticket page a
dozen hidden inputs and text areas per load; these widgets give the same HTML in a fraction of
that. Values are escaped with ``html.escape``, which is what ``django.utils.html.escape`` calls.
"""

from __future__ import annotations

from functools import lru_cache
from html import escape
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import SafeString, mark_safe


@lru_cache(maxsize=4096)
def _option(value: str, label: str, selected: bool) -> str:
    """One escaped ``<option>`` (a page draws a few hundred, mostly the same from page to page).

    ``html.escape`` is what ``django.utils.html.escape`` calls, without its lazy-string wrapper.
    """
    mark = " selected" if selected else ""
    return f'\n  <option value="{escape(value)}"{mark}>{escape(label)}</option>\n'


class OptionsSelect(forms.Select):
    """A ``<select>`` with the markup of Django's ``Select``, drawn in Python from plain pairs.

    Django draws every option through a template; a page with a few hundred options spent
    most of its time there.
    """

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        wanted = self.format_value(value)
        parts = [f'<select name="{escape(name)}"{flatatt(self.build_attrs(self.attrs, attrs))}>']
        selected_one = False
        for option_value, label in self.choices:
            text = "" if option_value is None else str(option_value)
            selected = not selected_one and text in wanted
            selected_one = selected_one or selected
            parts.append(_option(text, str(label), selected))
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


class PlainHiddenInput(forms.HiddenInput):
    """``<input type="hidden">`` as Django's ``input.html`` draws it."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        shown = self.format_value(value)
        value_attr = "" if shown is None else f' value="{escape(str(shown))}"'
        html = (
            f'<input type="{self.input_type}" name="{escape(name)}"{value_attr}'
            f"{flatatt(self.build_attrs(self.attrs, attrs))}>"
        )
        return mark_safe(html)  # noqa: S308 - every value above is escaped


class PlainTextarea(forms.Textarea):
    """``<textarea>`` as Django's ``textarea.html`` draws it."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        shown = self.format_value(value)
        html = (
            f'<textarea name="{escape(name)}"{flatatt(self.build_attrs(self.attrs, attrs))}>\n'
            f"{escape(str(shown)) if shown else ''}</textarea>"
        )
        return mark_safe(html)  # noqa: S308 - every value above is escaped
