from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404

from .addresses import requested_from
from .audit import record_refused_request
from .scopes import Scope, scope_for


def scope_required(test):
    """Let the view run only for a logged-in user whose scope passes `test`; others get 404.

    Deny by default: a page that exists but is not for this user looks like one that does not.
    Every 404 answered here, for her role or by the view (a case, a shelter outside her scope),
    is recorded in the trail of refused accesses with her address; the audit entries the view
    writes carry that address too (`services.addresses`).
    """

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            with requested_from(request):
                scope: Scope = scope_for(request.user)
                if not test(scope):
                    record_refused_request(request)
                    raise Http404
                try:
                    return view(request, *args, **kwargs)
                except Http404 as refusal:
                    record_refused_request(request, refusal)
                    raise

        return wrapped

    return decorator
