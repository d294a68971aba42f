from django.utils.functional import SimpleLazyObject

from .scopes import scope_for


def scope(request):
    """Expose the user's access scope to templates (the navigation shows each role its links)."""
    return {"scope": SimpleLazyObject(lambda: scope_for(request.user))}
