from django.urls import re_path

from . import open311

FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^discovery" + FMT, open311.discovery, name="open311_discovery"),
    re_path(r"^v2/$", open311.discovery, {"fmt": "json"}, name="open311_root"),
    re_path(r"^v2/discovery" + FMT, open311.discovery),
    re_path(r"^v2/services" + FMT, open311.services, name="open311_services"),
    re_path(r"^v2/services/(?P<code>[\w-]+)" + FMT, open311.service_definition, name="open311_service"),
    re_path(r"^v2/requests" + FMT, open311.requests_view, name="open311_requests"),
    re_path(r"^v2/requests/(?P<number>[\w-]+)" + FMT, open311.request_detail, name="open311_request"),
    re_path(r"^v2/tokens/(?P<token>[\w-]+)" + FMT, open311.token_view, name="open311_token"),
]
