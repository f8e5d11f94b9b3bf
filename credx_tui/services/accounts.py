"""Accounts and sessions: logging in (with the growing delay after wrong passwords),
the logins something stronger than a password vouched for, and the administrator's
account management.

Apart because it is the only part of the services that touches password hashes and the
account shards, and the only one whose refusals must not tell a stranger which 学号
exist (an unknown account and a wrong password cost and read the same).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from credx_tui.passwords import dummy_hash, hash_password, verify_password
from credx_tui.services.context import Actor, ServiceContext, validated
from credx_tui.services.errors import AccessDenied, BadText, LoginFailed, NotFound
from credx_tui.store import AccountTransaction
from policy import workflow
from policy.models import Account, Role
from policy.text import PASSWORD_MAX, TextRefused, gate

MAX_FAILED_LOGINS = 5
"""Failures in a row before each further attempt must wait (student journey, Login)."""
LOGIN_DELAY_CAP = timedelta(seconds=60)
"""The longest wait after many failures.  Growing delays (1, 2, 4 ... seconds, capped)
instead of a hard lock: a stranger guessing at someone's 学号 slows the guessing down
but can keep the owner out for a minute at most, and key logins never wait."""


def login_delay(failures: int) -> timedelta:
    """How long the next attempt waits after ``failures`` wrong passwords in a row."""
    if failures < MAX_FAILED_LOGINS:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - MAX_FAILED_LOGINS, 16)), LOGIN_DELAY_CAP)


def _wrong() -> LoginFailed:
    return LoginFailed("wrong", "学号或密码错误", "Wrong 学号 or password")


@dataclass(frozen=True)
class LoginResult:
    """A successful login: the actor and when they were last here (for notices)."""

    actor: Actor
    last_seen: datetime | None


class Accounts(ServiceContext):
    """Login, trusted login and the accounts (admins)."""

    def login(self, username: str, password: str) -> LoginResult:
        """Check a password.  An unknown account and a wrong password get the same
        words and cost the same (a dummy hash is checked); after
        :data:`MAX_FAILED_LOGINS` failures each attempt waits a growing delay."""
        username = username.strip()
        now = self.clock()
        with self.store.account_tx(username) as tx:
            account = tx.get(username)
            if account is None:
                verify_password(password, dummy_hash())
                raise _wrong()
            if account.locked_until is not None and account.locked_until > now:
                wait = account.locked_until
                seconds = max(1, int((wait - now).total_seconds() + 0.999))
                raise LoginFailed(
                    "locked",
                    f"密码错误次数过多，请 {seconds} 秒后再试",
                    f"too many wrong passwords; try again in {seconds} s",
                    until=wait,
                )
            failure: LoginFailed | None = None
            if not verify_password(password, account.password_hash):
                failure = self._count_failure(tx, account, now)
            elif account.disabled:
                failure = LoginFailed("disabled", "账号已停用，请联系管理员", "account disabled")
            else:
                previous = account.last_seen
                tx.put(
                    account.model_copy(
                        update={"failed_logins": 0, "locked_until": None, "last_seen": now}
                    )
                )
        # Raised after the block so that the failure count above is written.
        if failure is not None:
            raise failure
        return LoginResult(actor=_actor(account), last_seen=previous)

    @staticmethod
    def _count_failure(tx: AccountTransaction, account: Account, now: datetime) -> LoginFailed:
        failed = account.failed_logins + 1
        delay = login_delay(failed)
        tx.put(
            account.model_copy(
                update={"failed_logins": failed, "locked_until": now + delay if delay else None}
            )
        )
        return _wrong()

    def trusted_login(self, username: str, via: str) -> LoginResult:
        """Log in an account that something stronger than a password has authenticated
        (an SSH key, ``--os-user``): never subject to the password delays, refused for
        an unknown or disabled account.  ``via`` says what vouched (for the record)."""
        now = self.clock()
        with self.store.account_tx(username) as tx:
            account = tx.get(username)
            if account is None or account.disabled:
                raise LoginFailed(
                    "disabled" if account else "wrong",
                    f"没有可用账号 {username}（{via}）",
                    f"no usable account {username} ({via})",
                )
            previous = account.last_seen
            tx.put(account.model_copy(update={"last_seen": now}))
        return LoginResult(actor=_actor(account), last_seen=previous)

    def actor_for(self, username: str) -> Actor:
        """The actor of an account already authenticated elsewhere (the trainer's
        sandbox, tests); :meth:`trusted_login` also records the visit."""
        account = self.store.account(username)
        if account is None or account.disabled:
            raise LoginFailed("wrong", f"没有可用账号 {username}", f"no usable account {username}")
        return _actor(account)

    def add_account(self, actor: Actor, account: Account, password: str) -> None:
        """Create or replace an account (admins only).

        Its review steps must be steps of the rules (R11) and its colleges colleges of
        the store: a typo (``deen``, ``智能制造``) would otherwise give a reviewer who
        silently sees nothing, or may act on no step at all."""
        _require_admin(actor)
        refusal = workflow.unknown_steps_refusal(self.rules, account.review_steps)
        if refusal is not None:
            raise BadText(refusal.text("zh"), refusal.text("en"))
        known_colleges = self.store.colleges()
        strange = [c for c in account.colleges if c not in known_colleges]
        if strange:
            raise BadText(
                f"学院 {'、'.join(strange)} 不在库中（现有：{'、'.join(known_colleges)}）",
                f"college {', '.join(strange)} is not in the store "
                f"(known: {', '.join(known_colleges)})",
            )
        digest = hash_password(_password(password))
        with self.store.account_tx(account.username) as tx:
            tx.put(validated(account.model_copy(update={"password_hash": digest})))

    def set_password(self, actor: Actor, username: str, password: str) -> None:
        """Reset a password (admins) or change one's own."""
        if actor.role != Role.ADMIN and actor.username != username:
            raise AccessDenied("只能修改自己的密码", "you may change only your own password")
        digest = hash_password(_password(password))
        with self.store.account_tx(username) as tx:
            account = tx.get(username)
            if account is None:
                raise NotFound(f"没有账号 {username}", f"no account {username}")
            tx.put(
                account.model_copy(
                    update={
                        "password_hash": digest,
                        "failed_logins": 0,
                        "locked_until": None,
                    }
                )
            )

    def set_disabled(self, actor: Actor, username: str, disabled: bool) -> None:
        """Disable or enable an account (admins only)."""
        _require_admin(actor)
        with self.store.account_tx(username) as tx:
            account = tx.get(username)
            if account is None:
                raise NotFound(f"没有账号 {username}", f"no account {username}")
            tx.put(account.model_copy(update={"disabled": disabled}))

    def list_accounts(self, actor: Actor) -> list[Account]:
        """Every account, without password hashes (admins only)."""
        _require_admin(actor)
        return [a.model_copy(update={"password_hash": "-"}) for a in self.store.accounts()]


def _actor(account: Account) -> Actor:
    return Actor(
        username=account.username,
        role=account.role,
        display_name=account.display_name,
        colleges=tuple(account.colleges),
        review_steps=tuple(account.review_steps),
    )


def _require_admin(actor: Actor) -> None:
    if actor.role != Role.ADMIN:
        raise AccessDenied("只有管理员可以管理账号", "only admins manage accounts")


def _password(password: str) -> str:
    """A new password: not empty, no control characters or lone surrogates (which
    cannot be encoded to hash), within :data:`~policy.text.PASSWORD_MAX`."""
    if not password:
        raise BadText("密码不能为空", "the password must not be empty")
    try:
        return gate(password, max_length=PASSWORD_MAX)
    except TextRefused as exc:
        raise BadText(f"密码：{exc.problem.zh}", f"password: {exc.problem.en}") from None
