"""E-mail through Django's configured e-mail backend (EMAIL_BACKEND / EMAIL_HOST …)."""

import smtplib

from django.core.mail import EmailMessage, get_connection
from django.core.mail.message import make_msgid
from django.utils.translation import gettext_lazy as _

from .base import Backend, ConfigField, PermanentError, SendResult, TransientError


class EmailBackend(Backend):
    name = "email"
    kinds = {"email"}
    config_fields = (
        ConfigField("from_email", required=True, help=_("Sender address, e.g. 'Fresh Mart <news@example.com>'.")),
        ConfigField("reply_to", help=_("Optional Reply-To address.")),
    )

    def send(self, channel, message):
        msgid = make_msgid(idstring=message.idempotency_key)
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=channel.config["from_email"],
            to=[message.recipient],
            reply_to=[channel.config["reply_to"]] if channel.config.get("reply_to") else None,
            headers={"Message-ID": msgid, "X-Idempotency-Key": message.idempotency_key},
        )
        try:
            with get_connection(fail_silently=False) as connection:
                connection.send_messages([email])
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPNotSupportedError) as exc:
            raise PermanentError(f"refused by the mail server: {exc}") from None
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600:
                raise PermanentError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from None
            raise TransientError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientError(f"mail server unavailable: {exc}") from None
        return SendResult(provider_message_id=msgid.strip("<>"))
