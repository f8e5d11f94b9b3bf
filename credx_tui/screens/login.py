"""Login: 学号 and password; each failure says what went wrong (student journey, 1).

The first screen ``credx`` draws, before the services exist (issue 13, item 4): this
module imports neither the services nor a pydantic model.  The college's name appears
once the services are built; a login typed faster waits for them in its worker, and a
build that failed is said here (:meth:`LoginScreen.services_built`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import Button, Footer, Header, Input, Label, Static

from credx_tui.bilingual import BilingualError
from credx_tui.localize import bind
from credx_tui.startup import StartFailed
from credx_tui.ui import CredxScreen
from credx_tui.working import LoggedIn, ServiceRefused

if TYPE_CHECKING:
    from credx_tui.services import LoginResult
    from credx_tui.ui_base import CredxHost


class LoginScreen(CredxScreen):
    """The first screen: who are you?"""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("ctrl+q", "app.quit", "quit"),
    ]

    def __init__(self) -> None:
        super().__init__(id="login")
        self.message = ""
        """The last failure, in the UI language (kept across a language switch)."""
        self._message_key: tuple[str, dict[str, object]] | None = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="")
        with Vertical(id="login-box"):
            yield Static(self.t("login.heading"), id="login-heading")
            yield Static(self._college(), id="login-college", markup=False)
            yield Label(self.t("login.username"))
            # select_on_focus off: focus coming back (after F2) must not select the 学号
            # typed so far, or the next key would replace it.
            yield Input(
                placeholder=self.t("login.username.placeholder"),
                id="username",
                select_on_focus=False,
            )
            yield Label(self.t("login.password"))
            yield Input(
                placeholder=self.t("login.password.placeholder"),
                password=True,
                id="password",
                select_on_focus=False,
            )
            yield Button(self.t("login.submit"), id="login-button", variant="primary")
            yield Static("", id="login-message", markup=False)
            yield Static(self.t("login.hint"), id="login-hint")
        yield Footer()

    async def language_changed(self) -> None:
        """Redraw in the new language, keeping what was typed and where the cursor was
        (the student may press F2 halfway through the 学号)."""
        fields = {name: self.query_one(f"#{name}", Input) for name in ("username", "password")}
        typed = {name: field.value for name, field in fields.items()}
        focused = self.focused.id if self.focused is not None else "username"
        await super().language_changed()
        for name, value in typed.items():
            self.query_one(f"#{name}", Input).value = value
        target = self.query(f"#{focused}")
        (target.first() if target else self.query_one("#username", Input)).focus()

    def _college(self) -> str:
        """The school's name from the rules ("" while the services are being built)."""
        if not self.credx.services_ready:
            return ""
        from credx_tui.describe import college_name

        return college_name(self.services.rules, self.lang)

    def services_built(self, failure: StartFailed | None) -> None:
        """The app's services are built (or failed to be): show the college, or why
        the store could not be opened (a login would only say it again)."""
        if self.is_attached:
            self.query_one("#login-college", Static).update(self._college())
        if failure is not None:
            self._set_message("login.start_failed", {"detail": failure})

    def after_recompose(self) -> None:
        self._show_message()

    def on_screen_resume(self) -> None:
        self.query_one("#password", Input).value = ""
        self.query_one("#username", Input).focus()

    def clear(self) -> None:
        """Empty every field and the message (logout, idle timeout, session ended): the
        next person at the terminal sees nothing of the last (issue 9)."""
        for name in ("username", "password"):
            self.query_one(f"#{name}", Input).value = ""
        self._message_key = None
        self._show_message()
        self.query_one("#username", Input).focus()

    @on(Input.Submitted, "#username")
    def _next_field(self) -> None:
        self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#password")
    @on(Button.Pressed, "#login-button")
    def attempt(self) -> None:
        """Try the 学号 and password against the services."""
        username = self.query_one("#username", Input).value.strip()
        password = self.query_one("#password", Input).value
        if not username or not password:
            self._set_message("login.empty", {})
            return
        # The password hash and the account's lock take time: in a thread (issue 13);
        # there too the wait for the services when the person typed faster than they
        # were built (item 4).
        app = self.credx
        doing = "working.login" if app.services_ready else "working.opening"
        self.in_thread(lambda: _login(app, username, password), LoggedIn, doing)

    def on_service_refused(self, event: ServiceRefused) -> None:
        from credx_tui.services import LoginFailed

        exc = event.error
        if isinstance(exc.__cause__, StartFailed):
            self.query_one("#password", Input).value = ""
            self._set_message("login.start_failed", {"detail": exc.__cause__})
            return
        if not isinstance(exc, LoginFailed):
            self.show_error(exc)
            return
        self.query_one("#password", Input).value = ""
        if exc.kind == "wrong":
            self._set_message("login.wrong", {"detail": exc})
            self.query_one("#username", Input).focus()
        else:
            self._set_message(f"login.{exc.kind}", {"detail": exc})

    def on_logged_in(self, event: LoggedIn) -> None:
        result = event.result
        self._message_key = None
        self._show_message()
        self.query_one("#password", Input).value = ""
        self.credx.signed_in(result.actor, result.last_seen)

    def _set_message(self, key: str, values: dict[str, object]) -> None:
        self._message_key = (key, values)
        self._show_message()

    def _show_message(self) -> None:
        text = ""
        if self._message_key is not None:
            key, values = self._message_key
            shown: dict[str, object] = {}
            for name, value in values.items():
                if isinstance(value, BilingualError):  # LoginFailed, StartFailed
                    shown[name] = value.text(self.lang)
                elif isinstance(value, tuple):
                    shown[name] = self.t(f"{value[0]}.{value[1]}")
                else:
                    shown[name] = value
            text = self.t(key, **shown)
        self.message = text
        self.query_one("#login-message", Static).update(text)


def _login(app: CredxHost, username: str, password: str) -> LoginResult:
    """In the login's worker: wait for the services if they are still being built,
    then try the 学号 and password.  A build that failed is refused as a
    :class:`~credx_tui.services.ServiceError` caused by its :class:`StartFailed`."""
    from credx_tui.services import ServiceError

    try:
        services = app.wait_for_services()
    except StartFailed as exc:
        raise ServiceError(exc.zh, exc.en) from exc
    return services.login(username, password)
