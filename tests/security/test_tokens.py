import logging

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token as CommandLineToken
from rest_framework.test import APIClient

from accounts.models import ApiToken, AuditEntry
from accounts.tokens import create_token, digest_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def token_client(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def english(client):
    client.post("/i18n/setlang/", {"language": "en"})
    return client


def test_an_operator_creates_a_named_token_that_is_shown_once_and_stored_only_as_a_digest(client, editor):
    client.force_login(editor)
    english(client)
    response = client.post("/preferences/tokens/", {"name": "POS feed"})
    key = response.context["new_key"]
    assert response.status_code == 200 and key in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get()
    assert (token.name, token.user, token.digest) == ("POS feed", editor, digest_of(key))
    assert key not in str(ApiToken.objects.values().get())
    listing = client.get("/preferences/tokens/").content.decode()
    assert "POS feed" in listing and key not in listing


def test_a_named_token_authenticates_the_api_with_its_owners_role_and_records_its_last_use(viewer):
    token, key = create_token(viewer, "reports")
    response = token_client(key).get("/api/v1/me")
    assert response.json() == {"username": viewer.username, "role": "viewer"}
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token_client(key).post("/api/v1/segments", {"slug": "x", "name": "X", "rule": {"tag": "a"}},
                                  format="json").status_code == 403


def test_a_user_holds_several_tokens_and_revoking_one_stops_it_at_once_while_the_other_keeps_working(client, editor):
    first, first_key = create_token(editor, "first")
    _second, second_key = create_token(editor, "second")
    assert token_client(first_key).get("/api/v1/me").status_code == 200
    client.force_login(editor)
    assert client.post(f"/preferences/tokens/{first.pk}/revoke/").status_code == 302
    assert token_client(first_key).get("/api/v1/me").status_code == 401
    assert token_client(second_key).get("/api/v1/me").status_code == 200
    first.refresh_from_db()
    assert first.revoked_by == editor and first.revoked_at is not None
    assert list(AuditEntry.objects.filter(object_type="accounts.apitoken").values_list("action", flat=True)) == [
        "token_revoked", "token_created", "token_created"]


def test_an_operator_cannot_see_or_revoke_someone_elses_token(client, editor, viewer):
    theirs, key = create_token(viewer, "viewer's feed")
    client.force_login(editor)
    assert "viewer&#x27;s feed" not in client.get("/preferences/tokens/").content.decode()
    assert client.post(f"/preferences/tokens/{theirs.pk}/revoke/").status_code == 403
    theirs.refresh_from_db()
    assert theirs.active and token_client(key).get("/api/v1/me").status_code == 200


def test_an_admin_sees_every_token_and_revokes_anyones(client, admin_user, editor):
    token, key = create_token(editor, "editor's feed")
    client.force_login(admin_user)
    assert "editor&#x27;s feed" in client.get("/preferences/tokens/").content.decode()
    assert client.post(f"/preferences/tokens/{token.pk}/revoke/").status_code == 302
    assert token_client(key).get("/api/v1/me").status_code == 401


def test_the_drf_create_token_key_is_listed_and_revoking_it_stops_it_at_once(client, editor, capsys):
    call_command("drf_create_token", editor.username)
    key = capsys.readouterr().out.split()[2]
    assert token_client(key).get("/api/v1/me").status_code == 200
    client.force_login(editor)
    english(client)
    assert "Command-line token" in client.get("/preferences/tokens/").content.decode()
    client.post(f"/preferences/tokens/cli/{editor.pk}/revoke/")
    assert not CommandLineToken.objects.exists()
    assert token_client(key).get("/api/v1/me").status_code == 401


def test_an_operator_cannot_revoke_someone_elses_command_line_token(client, editor, viewer):
    CommandLineToken.objects.create(user=viewer)
    client.force_login(editor)
    assert client.post(f"/preferences/tokens/cli/{viewer.pk}/revoke/").status_code == 403
    assert CommandLineToken.objects.filter(user=viewer).exists()


def test_a_token_of_a_deactivated_user_is_refused(editor):
    _token, key = create_token(editor, "feed")
    editor.is_active = False
    editor.save(update_fields=["is_active"])
    assert token_client(key).get("/api/v1/me").status_code == 401


def test_a_token_without_a_name_is_refused_at_the_field(client, editor):
    client.force_login(editor)
    english(client)
    response = client.post("/preferences/tokens/", {"name": "  "})
    assert response.status_code == 400 and 'class="field-error"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_new_key_never_reaches_the_log(client, editor, caplog):
    client.force_login(editor)
    with caplog.at_level(logging.DEBUG):
        key = client.post("/preferences/tokens/", {"name": "feed"}).context["new_key"]
        token_client(key).get("/api/v1/me")
    assert key not in caplog.text


def test_a_user_without_a_role_cannot_create_tokens(client):
    client.force_login(UserFactory(username="no-role"))
    assert client.post("/preferences/tokens/", {"name": "x"}).status_code == 403
