"""Login: 学号 and password; each failure says what went wrong (student journey, 1)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import Button, Footer, Header, Input, Label, Static

from credx_tui.describe import college_name
from credx_tui.localize import bind
from credx_tui.services import LoginFailed
from credx_tui.ui import CredxScreen
from credx_tui.working import LoggedIn, ServiceRefused


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
            yield Static(
                college_name(self.credx.services.rules, self.lang), id="login-college", markup=False
            )
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
        # The password hash and the account's lock take time: in a thread (issue 13).
        self.in_thread(lambda: self.services.login(username, password), LoggedIn, "working.login")

    def on_service_refused(self, event: ServiceRefused) -> None:
        exc = event.error
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
                if isinstance(value, LoginFailed):
                    shown[name] = value.text(self.lang)
                elif isinstance(value, tuple):
                    shown[name] = self.t(f"{value[0]}.{value[1]}")
                else:
                    shown[name] = value
            text = self.t(key, **shown)
        self.message = text
        self.query_one("#login-message", Static).update(text)
