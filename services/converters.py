"""The `code` path converter: codes of services, shelters and cases, and nothing else.

A code is letters, digits and hyphens. Anything else (a NUL byte, a slash, a quote) never reaches
a query: the URL simply does not match and answers 404.
"""

import re

from django.urls import register_converter

CODE = r"[A-Za-z0-9][A-Za-z0-9-]{0,39}"
_CODE = re.compile(rf"^{CODE}$")


def is_code(value: str) -> bool:
    return bool(_CODE.match(value))


class CodeConverter:
    regex = CODE

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CodeConverter, "code")
