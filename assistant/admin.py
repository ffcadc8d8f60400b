"""Who may change the corpus from the web chat: upload, rebuild and remove are admin actions.

They ask for ASSISTANT_ADMIN_PASSWORD when one is set, need none while the app listens on this
machine only, and are off when it listens beyond this machine without one.
"""

from __future__ import annotations

import hmac
import ipaddress

from assistant.errors import UserError
from assistant.settings import Settings


def is_local(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def admin_state(settings: Settings) -> tuple[bool, str]:
    """(admin actions allowed, why not / how)."""
    if settings.server.admin_password is not None:
        return True, "Admin actions need the admin password."
    if is_local(settings.server.host):
        return True, "The app listens on this machine only: admin actions need no password."
    return False, ("Admin actions are off: the app listens beyond this machine and no "
                   "ASSISTANT_ADMIN_PASSWORD is set.")


def check_password(settings: Settings, given: str | None) -> None:
    """Raise UserError unless an admin action is allowed with this password."""
    allowed, why = admin_state(settings)
    if not allowed:
        raise UserError(why)
    if settings.server.admin_password is not None and not hmac.compare_digest(
            (given or "").encode(), settings.server.admin_password.get_secret_value().encode()):
        raise UserError("wrong admin password")
