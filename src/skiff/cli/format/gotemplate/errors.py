"""Template errors, worded as Go's text/template words them."""

from __future__ import annotations


class TemplateError(Exception):
    """Base of template errors."""


class TemplateParseError(TemplateError):
    """The template text is not a valid template."""


class TemplateExecError(TemplateError):
    """Executing the template on some data failed."""
