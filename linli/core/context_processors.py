from django.conf import settings

from .scoping import user_posts


def linli(request):
    user = getattr(request, "user", None)
    return {"site_name": settings.LINLI_SITE_NAME, "my_posts": user_posts(user) if user else []}
