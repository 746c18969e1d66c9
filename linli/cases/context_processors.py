from .notify import unread_count


def inbox(request) -> dict:
    """The unread count beside 消息 in the menu (one indexed COUNT per page)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread": unread_count(user)}
