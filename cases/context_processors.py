from django.utils.functional import SimpleLazyObject

from .pending import pending_count_for


def pending(request):
    """The count of the navigation's "Pending items" badge (overdue and due today in scope).

    Lazy: a page that never shows the navigation, or shows it to someone without a pending list,
    runs no query. A view that already knows the count (the pending list, the home page) passes
    `nav_pending_count` itself, and that one wins.
    """
    return {"nav_pending_count": SimpleLazyObject(lambda: pending_count_for(request.user))}
