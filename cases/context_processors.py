from django.utils.functional import SimpleLazyObject

from .pending import NAV_BADGE_CAP, pending_count_for


def pending(request):
    """The count of the navigation's "Pending items" badge (overdue and due today in scope).

    Lazy: a page that never shows the navigation, or shows it to someone without a pending list,
    runs no query. A view that already knows the count (the pending list, the home page) passes
    `nav_pending_count` itself, and that one wins. Counted up to NAV_BADGE_CAP + 1 (shown as
    "99+"): a national manager's badge would otherwise count every pending item of the country
    on every page.
    """
    return {
        "nav_pending_count": SimpleLazyObject(
            lambda: pending_count_for(request.user, cap=NAV_BADGE_CAP)
        ),
        "nav_pending_cap": NAV_BADGE_CAP,
    }
