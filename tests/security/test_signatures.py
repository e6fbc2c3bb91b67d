import ast
import hashlib
import hmac
import json
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from members.models import Event
from tests.factories import ChannelFactory, MemberFactory
from tests.touchpoints.factories import DeliveryFactory
from touchpoints.channels.webhook import sign, signature_matches

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "config", "journeys", "members", "reports", "touchpoints")


@pytest.fixture
def sent(db):
    channel = ChannelFactory(key="sms", secret="receipt-secret")
    return DeliveryFactory(channel=channel, status="sent", sent_at=timezone.now(), member=MemberFactory(external_id="m-sig"))


def receipt(body, signature):
    return Client().post("/api/v1/receipts", data=body, content_type="application/json",
                         HTTP_X_JOURNEY_SIGNATURE=signature)


def test_a_signature_header_with_non_ascii_bytes_is_a_mismatch_not_a_server_error(sent):
    body = json.dumps({"delivery": sent.id, "status": "delivered"})
    assert receipt(body, "sha256=é" + "0" * 63).status_code == 403
    assert signature_matches("receipt-secret", body.encode(), "sha256=\u00ff") is False
    assert not Event.objects.exists()


def test_a_receipt_signed_with_the_channel_secret_is_accepted_and_one_signed_otherwise_is_not(sent):
    body = json.dumps({"delivery": sent.id, "status": "delivered"})
    assert receipt(body, sign("other-secret", body.encode())).status_code == 403
    expected = "sha256=" + hmac.new(b"receipt-secret", body.encode(), hashlib.sha256).hexdigest()
    assert receipt(body, expected).status_code == 200


def test_every_signature_or_secret_comparison_in_the_code_is_constant_time():
    """No `==`/`!=` against a value named like a signature, digest, secret or token anywhere in the apps."""
    suspicious = ("signature", "digest", "secret", "hmac", "token_key")
    found = []
    for path in (p for app in APPS for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts):
        for node in ast.walk(ast.parse(path.read_text())):
            compares_values = isinstance(node, ast.Compare) and any(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops)
            # Comparing with a literal (a field name, None) is not comparing a secret.
            if compares_values and not any(isinstance(part, ast.Constant) for part in (node.left, *node.comparators)):
                names = [ast.unparse(part).lower() for part in (node.left, *node.comparators)]
                if any(word in name for name in names for word in suspicious):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    assert found == []
