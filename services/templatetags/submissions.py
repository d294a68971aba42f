"""`{% submission_token %}`: the one-time key of a form that creates something.

Put it inside every such form, next to `{% csrf_token %}`; the view stores the submission once
(`services.submissions`), and `static/js/once.js` disables the button while it is being sent.
"""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from services.submissions import TOKEN_FIELD, new_token

register = template.Library()


@register.simple_tag
def submission_token() -> str:
    """Render the hidden key, with the words the page shows while the form is being saved."""
    return format_html(
        '<input type="hidden" name="{}" value="{}" data-saving="{}">',
        TOKEN_FIELD,
        new_token(),
        _("Saving…"),
    )
