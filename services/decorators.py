from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404

from .scopes import Scope, scope_for


def scope_required(test):
    """Let the view run only for a logged-in user whose scope passes `test`; others get 404.

    Deny by default: a page that exists but is not for this user looks like one that does not.
    """

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            scope: Scope = scope_for(request.user)
            if not test(scope):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
