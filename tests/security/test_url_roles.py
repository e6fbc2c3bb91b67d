"""Every URL pattern of the project, walked as anonymous, viewer, editor and admin.

The walk iterates the URL resolver, so a new page or endpoint is walked without anyone adding
it here: it gets the default rule (viewer reads, editor writes) unless ACCESS names it. Each
request runs in a savepoint that is rolled back, so every role meets the same world.
"""

import pytest
from django.db import transaction
from django.urls import URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from accounts.roles import ADMIN, EDITOR, VIEWER

PUBLIC, LOGGED_IN, SIGNED = "public", "logged-in", "signed"
METHODS = ("get", "post", "put", "delete")

# name → (role needed to read, role needed to write). Everything else: (VIEWER, EDITOR).
ACCESS = {
    "healthz": (PUBLIC, PUBLIC),
    "login": (PUBLIC, PUBLIC),
    "logout": (PUBLIC, PUBLIC),
    "set_language": (PUBLIC, PUBLIC),
    "api-receipts": (SIGNED, SIGNED),  # no login: the channel secret's signature is the credential
    "preferences": (LOGGED_IN, LOGGED_IN),  # one's own time zone
    "api-tokens": (VIEWER, VIEWER),  # one's own tokens; a token acts with its owner's role
    "api-token-revoke": (VIEWER, ADMIN),  # the walk revokes another operator's token
    "api-cli-token-revoke": (VIEWER, ADMIN),
    "audit-log": (EDITOR, EDITOR),
    "members:segment-preview": (VIEWER, VIEWER),  # previews write nothing
    "touchpoints:template_preview": (VIEWER, VIEWER),
    "api-segment-preview": (VIEWER, VIEWER),
    "touchpoints:channel_new": (VIEWER, ADMIN),  # channels hold provider credentials
    "touchpoints:channel": (VIEWER, ADMIN),
    "touchpoints:channel_test": (ADMIN, ADMIN),
    "api-channels": (VIEWER, ADMIN),
    "api-channel": (VIEWER, ADMIN),
}
# Django's admin site has its own is_staff check and login page; it is walked separately below.
SKIPPED_PREFIXES = ("admin/",)


def url_patterns(patterns=None, namespace=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if str(pattern.pattern).startswith(SKIPPED_PREFIXES):
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_patterns(pattern.url_patterns, inner)
        else:
            yield f"{namespace}{pattern.name}", pattern


ALL = sorted({name for name, _ in url_patterns()})


def kwargs_for(name, pattern, world):
    """Path parameters from the world's real objects."""
    params = set(pattern.pattern.regex.groupindex)
    journey_pk = world.journey.pk
    values = {
        "members:tag-delete": {"pk": world.tag.pk},
        "members:import": {"pk": world.job.pk},
        "touchpoints:calendar_delete": {"pk": world.period.pk},
        "api-token-revoke": {"pk": world.others_token.pk},
        "api-cli-token-revoke": {"user_id": world.other_user.pk},
        "touchpoints:template": {"slug": world.template.slug},
        "api-template": {"slug": world.template.slug},
        "touchpoints:channel": {"key": world.channel.key},
        "touchpoints:channel_test": {"key": world.channel.key},
        "api-channel": {"key": world.channel.key},
        "journeys:node": {"pk": journey_pk, "key": "start"},
        "journeys:node_members": {"pk": journey_pk, "key": "start"},
        "reports:export": {"pk": journey_pk, "table": "nodes"},
        **{f"forecasts:{n}": {"pk": getattr(world.forecast, "pk", None)}
           for n in ("report", "progress", "overlay", "api-forecast")},
    }.get(name, {})
    defaults = {"pk": journey_pk, "external_id": world.member.external_id, "slug": world.segment.slug}
    filled = {param: values.get(param, defaults.get(param)) for param in params - {"action"}}
    assert None not in filled.values(), f"{name}: no object for {params - set(values) - set(defaults)}"
    return filled


def paths_of(name, pattern, world):
    kwargs = kwargs_for(name, pattern, world)
    if "action" in pattern.pattern.regex.groupindex:
        return [reverse(name, kwargs={**kwargs, "action": action}) for action in ("pause", "resume", "archive")]
    return [reverse(name, kwargs=kwargs)]


def client_for(user):
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def request(user, method, path):
    """One request whose effects are rolled back afterwards."""
    with transaction.atomic():
        response = getattr(client_for(user), method)(path, {} if method != "get" else None, format="json"
                                                     if path.startswith("/api/") and method != "get" else None)
        transaction.set_rollback(True)
    return response


def refused_anonymous(response, path):
    if path.startswith("/api/"):
        return response.status_code == 401
    return response.status_code == 302 and response["Location"].startswith("/login/")


def allowed(response):
    """The view ran: anything but a refusal or a server error (a bad body may well be a 400)."""
    return response.status_code not in (401, 403, 405) and response.status_code < 500


RANK = {None: 0, VIEWER: 1, EDITOR: 2, ADMIN: 3}


def test_every_url_admits_exactly_the_roles_it_should(world, viewer, editor, admin_user):
    # One test for the whole walk: the world is built once and every violation is listed together.
    users = {None: None, VIEWER: viewer, EDITOR: editor, ADMIN: admin_user}
    violations = []
    for name, pattern in url_patterns():
        read_role, write_role = ACCESS.get(name, (VIEWER, EDITOR))
        for path in paths_of(name, pattern, world):
            for method in METHODS:
                as_admin = request(admin_user, method, path)
                if as_admin.status_code == 405:
                    continue  # the view does not take this method
                needed = read_role if method == "get" else write_role
                for role, user in users.items():
                    response = as_admin if role == ADMIN else request(user, method, path)
                    if not meets(needed, role, user, response, path):
                        violations.append(f"{name}: {method.upper()} {path} as {role or 'anonymous'} "
                                          f"(needs {needed}) → {response.status_code}")
    assert not violations, "\n".join(violations)


def meets(needed, role, user, response, path):
    if needed == SIGNED:
        # Unsigned: refused by the signature check, whoever is signed in.
        return response.status_code in (400, 403)
    if needed == PUBLIC:
        # The login page takes DELETE from nobody, but redirects signed-in users before looking.
        return allowed(response) or response.status_code == 405
    if needed == LOGGED_IN and user is not None:
        return allowed(response)
    if user is None:
        return refused_anonymous(response, path)
    if RANK[role] >= RANK[needed]:
        return allowed(response) and response.status_code != 404
    return response.status_code == 403


def test_the_walk_covers_every_page_and_endpoint_of_the_product():
    assert len(ALL) >= 75
    assert {"journeys:editor", "members:segment", "touchpoints:channel", "reports:promote", "api-events",
            "api-receipts", "api-tokens", "audit-log"} <= set(ALL)
    assert set(ACCESS) <= set(ALL), "ACCESS names a URL that no longer exists"


def test_the_django_admin_site_sends_operators_who_are_not_staff_to_its_login(client, editor):
    client.force_login(editor)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
