"""CSRF: every page POST and every session-authenticated API write needs the token; API tokens don't."""

from django.db import transaction
from django.test import Client
from rest_framework.test import APIClient

from accounts.tokens import create_token
from tests.security.test_url_roles import paths_of, url_patterns


def csrf_client(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/preferences/")  # any page: sets the csrftoken cookie
    return client


def post(client, path, **headers):
    with transaction.atomic():
        response = client.post(path, {}, **headers)
        transaction.set_rollback(True)
    return response


def test_every_page_post_without_the_csrf_token_is_refused_and_with_it_reaches_the_view(world, admin_user):
    client = csrf_client(admin_user)
    token = client.cookies["csrftoken"].value
    checked, violations = [], []
    for name, pattern in url_patterns():
        for path in paths_of(name, pattern, world):
            if path.startswith("/api/"):
                continue
            with_token = post(client, path, HTTP_X_CSRFTOKEN=token)
            if with_token.status_code == 405:
                continue  # a read-only page
            checked.append(path)
            without = post(client, path)
            if without.status_code != 403 or with_token.status_code == 403:
                violations.append(f"{name}: POST {path} without token → {without.status_code}, "
                                  f"with token → {with_token.status_code}")
    assert not violations, "\n".join(violations)
    assert {"/journeys/new/", f"/journeys/{world.journey.pk}/draft/", "/members/segments/preview/",
            "/touchpoints/templates/preview/", "/preferences/tokens/", "/login/", "/i18n/setlang/"} <= set(checked)


def test_a_session_authenticated_api_write_needs_the_csrf_token(editor):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(editor)
    client.get("/preferences/")
    body = {"slug": "vip", "name": "VIP", "rule": {"tag": "vip"}}
    assert client.post("/api/v1/segments", body, format="json").status_code == 403
    token = client.cookies["csrftoken"].value
    assert client.post("/api/v1/segments", body, format="json", HTTP_X_CSRFTOKEN=token).status_code == 201


def test_a_token_authenticated_api_write_needs_no_csrf_token(editor):
    _token, key = create_token(editor, "feed")
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.post("/api/v1/events", {"member": "m1", "name": "registered"}, format="json")
    assert response.status_code == 202


def test_pages_carry_the_csrf_token_for_htmx_posts(client, viewer):
    client.force_login(viewer)
    page = client.get("/members/").content.decode()
    token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else None
    assert '<meta name="csrf-token"' in page and "hx-headers='{\"X-CSRFToken\"" in page
    assert token is not None
