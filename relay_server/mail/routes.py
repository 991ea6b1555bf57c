"""HTTP routes of mail: the admin's SMTP settings and test mail (AD4), the agent's e-mailed
invitations (A3), and a mail's state. Contract in docs/protocol.md, *Mail*.

Every queued mail is durable before the request is answered (``wait_durable``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import bottle

from relay_server.admin import rules
from relay_server.errors import Refused
from relay_server.mail import templates
from relay_server.mail.addresses import MAX_RECIPIENTS, address_problem, check_recipients
from relay_server.mail.delivery import Deliveries
from relay_server.mail.loop_slices import LoopSlice
from relay_server.mail.outbox import Outbox, OutgoingMail, new_message_id
from relay_server.mail.sender import MailSender, message_domain, send_test_mail
from relay_server.mail.settings import smtp_settings
from relay_server.options.options import Options
from relay_server.sessions.invitations import MAX_OPEN_PER_SESSION
from relay_server.sessions.relay import Relay
from relay_server.web.authorization import bearer_principal
from relay_server.web.http_bodies import json_body, json_route
from suite.http_json import JsonText

logger = logging.getLogger(__name__)

SUPPORT_REF = "support:"  # an invitation mail's ref: "support:<session id>"

MAX_BODY_BYTES = 64 * 1024  # 200 recipients of 254 characters fit with room to spare
SETTING_FIELDS = (
    "host", "port", "security", "username", "sender_address", "sender_name", "ca_file",
    "keep_days", "reminder_minutes",
)  # fmt: skip
AUDIT_SHOWN = 20
PREVIEW_SECRET = "personal-link"  # the preview's stand-in for each recipient's own secret
# An invitation request checks and queues up to 50 mails and answers with a view of each:
# it lets the event loop serve others (the chat) between two recipients whenever its step has
# run for loop_slices.SLICE_S (0.1 ms), so that it never holds the loop for much longer
# (docs/performance.md, *Mail*).


def install_mail_routes(
    app: bottle.Bottle,
    relay: Relay,
    options: Options,
    outbox: Outbox,
    sender: MailSender,
    clock: Callable[[], float] = time.time,
    test_delivery: Callable[[], Deliveries] | None = None,
    client_ip: Callable[[], str] = lambda: "",
) -> None:
    """``test_delivery`` makes what sends a test mail (a mail worker of its own in the relay;
    in place when not given); ``client_ip`` the admin's address for the audit log."""
    route = json_route()

    def close_link_of(mail_id: str) -> None:
        # A3: an invitation that will never arrive closes its personal link.
        invitation_id = outbox.meta(mail_id).get("invitation")
        ref = outbox.ref(mail_id)
        if not invitation_id or not ref.startswith(SUPPORT_REF):
            return
        session_id = ref.removeprefix(SUPPORT_REF)
        if relay.close_undelivered_link(session_id, str(invitation_id), clock()):
            logger.info("personal link closed: its mail failed", extra={"session_id": session_id})

    outbox.on_undelivered = close_link_of

    def principal():
        return bearer_principal(relay.accounts, bottle.request.get_header("Authorization"), clock())

    def admin():
        found = principal()
        rules.require_admin(found.role)
        return found

    def settings_view() -> dict[str, Any]:
        return {
            "settings": options.view("mail"),
            "audit": options.audit("mail.", AUDIT_SHOWN),
            "outbox": outbox.counts(),
        }

    @app.get("/api/admin/mail")
    @route
    def get_mail_settings():
        admin()
        return settings_view()

    @app.put("/api/admin/mail")
    @route
    def put_mail_settings():
        actor = admin()
        data = json_body(MAX_BODY_BYTES)
        unknown = sorted(set(data) - {*SETTING_FIELDS, "password", "clear_password"})
        if unknown:
            raise Refused(
                "bad_setting", f"{unknown[0]}: no such setting", details={"field": unknown[0]}
            )
        changes = {f"mail.{field}": data[field] for field in SETTING_FIELDS if field in data}
        # The password is write-only: empty or missing leaves it as it is.
        if data.get("clear_password") is True:
            changes["mail.password"] = ""
        elif data.get("password"):
            changes["mail.password"] = data["password"]
        changed = options.set(changes, actor.username, clock(), client_ip())
        relay.wait_durable()
        if changed:
            outbox.retry_waiting_now(clock())  # new settings: what waits tries again now
            relay.wait_durable()
            sender.wake()
            logger.info("mail settings changed", extra={"by": actor.username, "keys": changed})
        return settings_view()

    @app.post("/api/admin/mail/test")
    @route
    def test_mail():
        admin()
        to = json_body(MAX_BODY_BYTES).get("to")
        if not isinstance(to, str) or address_problem(to.strip()):
            reason = address_problem(to.strip()) if isinstance(to, str) else "must be text"
            raise Refused("bad_address", f"'to': {reason}", details={"field": "to"})
        settings = smtp_settings(options.get)
        if not settings.configured:
            raise Refused("mail_not_configured", "set the mail server and sender address first")
        return send_test_mail(
            settings, to.strip(), new_message_id(message_domain(settings)), clock(),
            test_delivery() if test_delivery is not None else None,
        )  # fmt: skip

    def invitation_parts(session_id: str) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        who = principal()
        support = relay.get_support(who, session_id)  # 404 session_not_found if not theirs
        account = relay.accounts.get(who.username)
        if account is None:
            raise Refused("unauthorized", "this account no longer exists")
        return who, support, relay.profile(account)

    def check_lang(lang: Any) -> str:
        if lang not in templates.LANGUAGES:
            raise Refused("bad_request", "'lang' is one of " + ", ".join(templates.LANGUAGES))
        return str(lang)

    @app.post("/api/supports/<session_id>/invitation_mails/preview")
    @route
    def preview_invitation(session_id: str):
        lang = check_lang(json_body(MAX_BODY_BYTES).get("lang", "en"))
        _, support, agent = invitation_parts(session_id)
        # Each recipient gets a link of their own when the mail is queued: the preview shows
        # where it goes.
        link = f"{support['relay_url']}/?invite={PREVIEW_SECRET}"
        mail = templates.invitation(lang, agent, link, support["relay_url"])
        return {"subject": mail.subject, "text": mail.text, "html": mail.html}

    @app.post("/api/supports/<session_id>/invitation_mails")
    @route
    def send_invitations(session_id: str):
        step = LoopSlice()  # see LoopSlice above: the checks, then each recipient
        data = json_body(MAX_BODY_BYTES)
        who, support, agent = invitation_parts(session_id)
        left = MAX_OPEN_PER_SESSION - sum(
            1
            for link in relay.list_invitations(who, session_id)["invitations"]
            if link["state"] == "open"
        )
        step.check()
        recipients = check_recipients(
            data.get("recipients"), templates.LANGUAGES, min(MAX_RECIPIENTS, left), step.check
        )
        settings = smtp_settings(options.get)
        if not settings.configured:
            raise Refused(
                "mail_not_configured",
                "this relay has no mail server yet: ask an admin to set one (admin site, Mail)",
            )
        reply_to = agent.get("email") or ""
        if reply_to and address_problem(reply_to):
            reply_to = ""
        now = clock()
        domain = message_domain(settings)
        ids = []
        contents: dict[tuple[str, str], templates.MailContent] = {}
        for address, lang in recipients:
            step.check()
            # A personal link per recipient (one seat, once, revocable in the people list),
            # issued before its mail is queued. One commit makes the request's links and mails
            # durable (below): a mail's link is on disk before the mail can leave, because
            # the sender's `committing` is made durable before the final "." and the journal
            # is written in order. The content holds a stand-in for the link's secret, the
            # same for every recipient of a language, so the sender serialises it once and
            # writes each secret over it (templates.substitute).
            link = relay.invite(who, session_id, address, now, wait=False)
            base, _, secret = link["url"].rpartition("=")
            key = (lang, base)
            if key not in contents:
                stand_in = f"{base}={templates.stand_in(len(secret))}"
                contents[key] = templates.invitation(lang, agent, stand_in, support["relay_url"])
            ids.append(
                outbox.enqueue(
                    OutgoingMail(
                        owner=who.username, ref=f"{SUPPORT_REF}{session_id}", kind="invitation",
                        to=address, lang=lang, content=contents[key], reply_to=reply_to,
                        meta={"invitation": link["invitation"]["id"], "value": secret},
                    ),
                    now, domain,
                )
            )  # fmt: skip
        relay.wait_durable()  # every link and mail is on disk before the 202
        bottle.response.status = 202
        return mails_answer(who, session_id, (outbox.view(mail_id) for mail_id in ids))

    def mails_answer(who: Any, session_id: str, views: Iterable[dict[str, Any]]) -> JsonText:
        """``{"mails": [...]}``: each mail with its personal link's ``{id, state}`` (the agent
        withdraws it with ``DELETE /api/supports/<id>/links/<link id>``), in JSON built a
        mail at a time, the loop served between them (``views`` may be made as it is read)."""
        step = LoopSlice()
        links = {
            link["id"]: link for link in relay.list_invitations(who, session_id)["invitations"]
        }
        parts: list[str] = []
        for view in views:
            step.check()
            link = links.get(outbox.meta(view["id"]).get("invitation", ""))
            view["link"] = {"id": link["id"], "state": link["state"]} if link else None
            parts.append(json.dumps(view, ensure_ascii=False))
        return JsonText('{"mails": [' + ", ".join(parts) + "]}")

    @app.get("/api/supports/<session_id>/invitation_mails")
    @route
    def list_invitations(session_id: str):
        who = principal()
        relay.get_support(who, session_id)
        views = outbox.views(who.username, f"{SUPPORT_REF}{session_id}")
        return mails_answer(who, session_id, views)

    @app.get("/api/mails/<mail_id>")
    @route
    def get_mail(mail_id: str):
        return {"mail": outbox.view(mail_id[:64], owner=principal().username)}
