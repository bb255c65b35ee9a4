"""Template context for every page: who the signed-in person is acting for, if anyone.

`acting` is computed lazily (only templates that use it, such as the marketplace banner,
run its queries). A view that passes its own `acting` overrides it.
"""

from django.utils.functional import SimpleLazyObject


def acting(request):
    """`acting`: the budget the person works on and what they may do (see `acting.Acting`)."""

    def compute():
        if not getattr(request, "user", None) or not request.user.is_authenticated:
            return None
        from .acting import current_acting

        return current_acting(request)

    return {"acting": SimpleLazyObject(compute)}
