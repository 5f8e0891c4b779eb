"""The customer card's Online tab and its two keys (services/assistance.py; seed 002 "Now online",
"Providing Shopper Assistance").

The tab says whether the customer is signed in online now or when they were last seen (from
headquarters; offline the kept copy, "as of" when it was fetched), whether they agreed to shopper
assistance (who recorded it, when), and their assistance links. ``g`` records or withdraws the
consent, ``h`` asks headquarters for a single-use assistance link (refused without consent). The
card mixes :class:`AssistActions` in, so both keys work on every tab and are in the palette.
"""

from __future__ import annotations

from textual import work
from textual.binding import Binding
from textual.widgets import DataTable, Label

from ...domain.assistance import CONSENT_GIVEN, CONSENT_WITHDRAWN, LINK_ISSUED, LINK_USED
from ...domain.errors import ValidationFailed
from ...domain.i18n import N_, _, tr
from ...services import assistance, sync
from ...services.context import NotFound, Permission, PermissionDenied
from ..text import plain, safe, sentence, with_commands
from .customer_data import DataPane, problems, source_note, word
from .dialogs import DetailModal

TAB_ONLINE = "tab-online"

# on every tab, not in the footer: the Online tab's own keys (OnlinePane.TAB_KEYS, the same keys)
# are, while that tab is shown, as the other tabs' keys are
ASSIST_BINDINGS = [
    Binding("g", "assist_consent", N_("Assist consent"), id="card.assist_consent", show=False,
            tooltip=N_("Shopper assistance: record that the customer agrees (again: withdraw it)")),
    Binding("h", "assist_link", N_("Assist link"), id="card.assist_link", show=False,
            tooltip=N_("Shopper assistance: a single-use link into the customer's online account (needs consent)")),
]
ASSIST_ACTIONS = {"assist_consent", "assist_link"}
#: the Activity tab's words for the audit actions of shopper assistance
ASSIST_ACTION_TEXT = {CONSENT_GIVEN: N_("assistance consent given"),
                      CONSENT_WITHDRAWN: N_("assistance consent withdrawn"),
                      LINK_ISSUED: N_("assistance link issued"), LINK_USED: N_("assistance link used")}
#: the tab's line of keys (the footer shows them too, as far as 80 columns hold); the source note follows
HINT = N_("g consent (again: withdraw) · h assistance link")


def _consent_text(view) -> str:
    if view.assist_consent:
        return _("given · recorded by {associate} {at}").format(associate=view.assist_consent_by,
                                                                at=safe(view.assist_consent_at))
    if view.assist_consent_by:
        return _("withdrawn · recorded by {associate} {at}").format(associate=view.assist_consent_by,
                                                                    at=safe(view.assist_consent_at))
    return _("not given")


def _online_text(got: assistance.OnlineView) -> str:
    state = got.state
    if state is None:
        return _("unknown")
    if state.online:
        text = (_("online now (assisted by {associate})").format(associate=state.assisted_by) if state.assisted_by
                else _("online now"))
    else:
        text = (_("last seen {at}").format(at=safe(state.last_seen_at)) if state.last_seen_at
                else _("never signed in online"))
    if got.source != assistance.HEADQUARTERS and got.fetched_at is not None:
        text += " · " + _("as of {at}").format(at=safe(got.fetched_at))
    return text


class OnlinePane(DataPane):
    """Online now / last seen, the assistance consent, and the customer's assistance links."""

    TITLE, PANE_ID = N_("Online"), TAB_ONLINE
    TAB_KEYS = [Binding(b.key, b.action, b.description, id=f"{b.id}.tab", tooltip=b.tooltip)
                for b in ASSIST_BINDINGS]

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ASSIST_ACTIONS:
            return self.screen.assist_action_allowed(action)
        return True

    def action_assist_consent(self) -> None:
        self.screen.action_assist_consent()

    def action_assist_link(self) -> None:
        self.screen.action_assist_link()

    def fetch(self, customer_id: str):
        got = assistance.online_state(self.app.services, self.app.actor, customer_id)
        return [got], got.source

    def render_rows(self, rows, source):
        got: assistance.OnlineView = rows[0]
        view = self.view
        if got.recorded:  # a link used at headquarters is now on the Activity tab: the card reads it again
            self.call_later(self.screen.action_reload)
        table = DataTable(id="online-table", cursor_type="row", show_header=False, zebra_stripes=True)
        table.add_columns(_("Field"), _("Value"))
        for k, v in ((_("Online"), _online_text(got)), (_("Assistance consent"), _consent_text(view)),
                     (_("Online account"), word(view.account_type))):
            table.add_row(plain(k, "bold"), plain(v))
        parts: list = [table]
        links = got.state.links if got.state is not None else []
        if links:
            lt = DataTable(id="assist-links-table", cursor_type="row", zebra_stripes=True)
            lt.add_columns(_("Asked"), _("By"), _("Expires"), _("Used"))
            for link in links:
                lt.add_row(plain(link.created_at), plain(link.requested_by), plain(link.expires_at),
                           plain(link.used_at or "—"))
            parts += [Label(_("Assistance links"), classes="section"), lt]
        parts.append(Label(f"{tr(HINT)} · {source_note(source)}", classes="muted", markup=False))
        return parts


class AssistActions:
    """The card's shopper-assistance keys (mixed into CustomerScreen)."""

    def assist_action_allowed(self, action: str) -> bool | None:
        view, actor = self.view, self.app.actor
        if view is None or view.anonymized_at is not None:
            return False
        # offered on every customer the associate may act on: for a guest the services refuse in one
        # line that says what to do (make the account registered first), rather than a key that
        # silently does nothing
        if action == "assist_consent":
            return actor.can(Permission.EDIT)
        return actor.can(Permission.ASSIST)

    def action_assist_consent(self) -> None:
        if self.view is not None:
            self.run_assist_consent(self.view.id, not self.view.assist_consent)

    @work(thread=True, exclusive=True, group="assist")
    def run_assist_consent(self, customer_id: str, given: bool) -> None:
        try:
            view = assistance.set_consent(self.app.services, self.app.actor, customer_id, given)
        except ValidationFailed as exc:  # a hint naming a command shows it in bold, not in backticks
            self.app.call_from_thread(self.notify, with_commands(_("Not recorded. {reason}").format(
                reason=sentence(problems(exc)))), severity="error", markup=True, timeout=8)
            return
        except (PermissionDenied, NotFound) as exc:
            self.app.call_from_thread(self.notify, _("Not recorded. {reason}").format(reason=sentence(problems(exc))),
                                      severity="error", markup=False)
            return
        said = (_("Recorded: the customer agrees to shopper assistance.") if view.assist_consent
                else _("Recorded: the customer no longer agrees to shopper assistance."))
        self.app.call_from_thread(self.notify, said, markup=False)
        self.app.call_from_thread(self.load)  # the card and its Online tab read the customer again

    @work(thread=True, exclusive=True, group="assist")
    def action_assist_link(self) -> None:
        try:
            link = assistance.request_link(self.app.services, self.app.actor, self.customer_id)
        except ValidationFailed as exc:  # no consent: its hint names a command, in bold
            self.app.call_from_thread(self.notify, with_commands(_("No link. {reason}").format(
                reason=sentence(problems(exc)))), severity="warning", markup=True, timeout=10)
            return
        except (sync.HqUnavailable, sync.HqRefused, sync.NotConnected, PermissionDenied, NotFound) as exc:
            self.app.call_from_thread(self.notify, _("No link. {reason}").format(reason=sentence(problems(exc))),
                                      severity="warning", markup=False, timeout=10)
            return
        self.app.call_from_thread(self.app.push_screen, DetailModal(
            _("Assistance link: works once, until {at}").format(at=safe(link.expires_at)),
            [_("Open it on the assisting device; it is shown only now.")], copy=link.url))
        self.app.call_from_thread(self.load)


__all__ = ["OnlinePane", "AssistActions", "ASSIST_BINDINGS", "ASSIST_ACTIONS", "ASSIST_ACTION_TEXT", "TAB_ONLINE"]
