import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.roles import role_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PAGES = ["/", "/journeys/", "/members/", "/touchpoints/", "/reports/", "/preferences/"]


def test_the_three_roles_exist_as_groups_after_migrating():
    assert set(Group.objects.values_list("name", flat=True)) >= {"admin", "editor", "viewer"}


def test_a_superuser_is_an_admin_and_a_user_without_a_group_has_no_role():
    assert role_of(UserFactory(username="root", is_superuser=True)) == "admin"
    assert role_of(UserFactory(username="nobody")) is None


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_anonymous_visitors_to_the_login_page(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("path", PAGES[:-1])
def test_a_signed_in_user_without_a_role_is_refused_the_pages(client, path):
    client.force_login(UserFactory(username="no-role"))
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", PAGES)
def test_a_viewer_can_read_every_page(client, viewer, path):
    client.force_login(viewer)
    assert client.get(path).status_code == 200


def test_the_login_page_signs_an_operator_in_with_username_and_password(client, editor):
    response = client.post("/login/", {"username": editor.username, "password": "pass-word-123"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_the_api_refuses_anonymous_calls_with_a_json_message():
    response = APIClient().get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert "credentials" in response.json()["detail"].lower()


def test_the_api_accepts_a_token_made_by_drf_create_token(viewer, capsys):
    call_command("drf_create_token", viewer.username)
    key = capsys.readouterr().out.split()[2]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    for path in ("/api/v1/me", "/api/v1/me/"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.json() == {"username": viewer.username, "role": "viewer"}


def test_the_api_schema_and_docs_are_served(client, viewer):
    client.force_login(viewer)
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


def test_ensure_admin_creates_the_admin_user_once_with_the_password_from_the_environment(monkeypatch, capsys):
    monkeypatch.setenv("ADMIN_PASSWORD", "s3cret-admin-pass")
    call_command("ensure_admin")
    call_command("ensure_admin")
    out = capsys.readouterr().out
    assert "Created user 'admin'" in out and "already exists" in out
    admin = UserFactory._meta.model.objects.get(username="admin")
    assert admin.check_password("s3cret-admin-pass") and role_of(admin) == "admin"
