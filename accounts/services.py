"""Every write of the accounts app: sign-up, log-in, profile, phone verification."""

import datetime
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.age import age_today, local_date
from accounts.errors import (
    AgeTooYoung,
    CodeExpired,
    InvalidCode,
    InvalidCredentials,
    PhoneInUse,
    SmsUnavailable,
    UsernameTaken,
    WrongPassword,
)
from accounts.models import DeviceToken, PhoneRelease, PhoneVerification, User
from accounts.phone import phone_number_to_e164
from accounts.sessions import Credential, sockets_close_on_commit
from accounts.sms import send_sms
from accounts.tokens import token_create, tokens_sweep
from dmsite.env import Rate
from dmsite.errors import InvalidInput, NotFound, RateLimited, TooManyAttempts
from dmsite.fields import MAX_DB_ID
from dmsite.ratelimit import SlidingWindow

logger = logging.getLogger(__name__)

EARLIEST_BIRTH_YEAR = 1900


def _signup_window() -> SlidingWindow:
    return SlidingWindow("signup", settings.RATE_SIGNUPS)


def _login_window() -> SlidingWindow:
    return SlidingWindow("login", settings.RATE_LOGIN)


def _account_failures_window() -> SlidingWindow:
    """Wrong passwords per account from any address (finding 3: addresses are cheap)."""
    return SlidingWindow("login_account", settings.RATE_LOGIN_ACCOUNT)


def user_register(
    *,
    username: str,
    password: str,
    date_of_birth: datetime.date,
    display_name: str = "",
    ip: str,
    device: str = "",
) -> tuple[User, str]:
    """Create an account and return it with its API token."""
    if date_of_birth > local_date():
        raise InvalidInput(
            "Date of birth cannot be in the future.",
            fields={"date_of_birth": ["Date of birth cannot be in the future."]},
        )
    if date_of_birth.year < EARLIEST_BIRTH_YEAR:
        raise InvalidInput(
            "Must be a real date of birth.",
            fields={"date_of_birth": ["Must be a real date of birth."]},
        )
    if age_today(date_of_birth) < settings.ACCOUNT_MIN_AGE:
        raise AgeTooYoung()
    if User.objects.filter(username__iexact=username).exists():
        raise UsernameTaken()
    candidate = User(username=username, display_name=display_name, date_of_birth=date_of_birth)
    try:
        password_validation.validate_password(password, candidate)
    except DjangoValidationError as error:
        raise InvalidInput(error.messages[0], fields={"password": error.messages}) from None

    signup_window = _signup_window()
    slot = signup_window.acquire(ip)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=username,
                password=password,
                date_of_birth=date_of_birth,
                display_name=display_name,
            )
            _, key = token_create(user=user, name=device)
    except IntegrityError:
        signup_window.release(ip, slot)
        raise UsernameTaken() from None
    return user, key


def user_authenticate(*, username: str, password: str, ip: str, request=None) -> User:
    """Check a password, throttled per username and address and per username alone.

    The one check of every log-in: the API, the log-in page and the admin's. Only
    failures count; the per-account cap holds however many addresses a guesser has.
    """
    windows = [
        (_login_window(), f"{username.lower()}:{ip}"),
        (_account_failures_window(), f"name:{username.lower()}"),
    ]
    try:
        for window, key in windows:
            window.check(key)
    except RateLimited as limited:
        raise TooManyAttempts(limited.retry_after) from None
    user = authenticate(request, username=username, password=password)
    if user is None:
        try:
            for window, key in windows:
                window.acquire(key)
        except RateLimited as limited:  # a parallel attempt filled the window first
            raise TooManyAttempts(limited.retry_after) from None
        raise InvalidCredentials()
    return user


def user_login(
    *, username: str, password: str, ip: str, request=None, device: str = ""
) -> tuple[User, str]:
    """Check the password (`user_authenticate`); return the user and a new token.

    Each log-in is one device with its own token, so each logs out on its own.
    """
    user = user_authenticate(username=username, password=password, ip=ip, request=request)
    tokens_sweep(user=user)
    _, key = token_create(user=user, name=device)
    return user, key


def user_logout(*, user: User, credential: Credential) -> None:
    """End one device: its token (or browser session), and at once every socket it opened."""
    with transaction.atomic():
        if credential.kind == "token":
            DeviceToken.objects.filter(user=user, pk=credential.key).delete()
        sockets_close_on_commit(
            user.pk,
            tokens=[credential.key] if credential.kind == "token" else [],
            sessions=[credential.key] if credential.kind == "session" else [],
        )


def token_revoke(*, user: User, token_id: int) -> None:
    """`DELETE me/sessions/{id}`: end one of my devices; `not_found` for any other id."""
    with transaction.atomic():
        deleted = (
            DeviceToken.objects.filter(user=user, pk=token_id).delete()[0]
            if token_id <= MAX_DB_ID
            else 0
        )
        if not deleted:
            raise NotFound("No such session.")
        sockets_close_on_commit(user.pk, tokens=[str(token_id)])


def _password_check(user: User, password, *, field: str = "password") -> None:
    """The user's password again; wrong ones count towards the account's failure cap."""
    window, key = _account_failures_window(), f"name:{user.username.lower()}"
    try:
        window.check(key)
    except RateLimited as limited:
        raise TooManyAttempts(limited.retry_after) from None
    if not isinstance(password, str) or not user.check_password(password):
        try:
            window.acquire(key)
        except RateLimited as limited:
            raise TooManyAttempts(limited.retry_after) from None
        raise WrongPassword(field)


def password_change(
    *, user: User, current_password: str, new_password: str, keep: Credential | None
) -> None:
    """Set a new password (the current one required) and end every other session and token.

    Browser sessions other than `keep` stop working by Django's own session hash check
    (the hash follows the password); their sockets and every other token end here.
    """
    _password_check(user, current_password, field="current_password")
    try:
        password_validation.validate_password(new_password, user)
    except DjangoValidationError as error:
        raise InvalidInput(error.messages[0], fields={"new_password": error.messages}) from None
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        others = DeviceToken.objects.filter(user=user)
        if keep is not None and keep.kind == "token":
            others = others.exclude(pk=keep.key)
        others.delete()
        sockets_close_on_commit(user.pk, everything=True, keep=keep)


def user_update(*, user: User, **fields) -> User:
    """Change what a user may change of their profile: display name and bio."""
    editable = {"display_name", "bio"}
    changed = [name for name in fields if name in editable]
    for name in changed:
        setattr(user, name, fields[name])
    if changed:
        user.save(update_fields=changed)
    return user


def user_deactivate(*, user: User, password=None, check_password: bool = False) -> None:
    """Deactivate the account: every token ends and every socket closes at once.

    `DELETE me` asks for the password (`check_password`); a moderator's deactivation
    does not.
    """
    if check_password:
        _password_check(user, password)
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        DeviceToken.objects.filter(user=user).delete()
        sockets_close_on_commit(user.pk, everything=True)


def _code_hash(phone_number: str, code: str) -> str:
    return salted_hmac("accounts.phone_code", f"{phone_number}:{code}").hexdigest()


def _phone_windows(user: User, phone_number: str) -> list[tuple[SlidingWindow, str]]:
    windows = [
        (SlidingWindow("phone_send_user", settings.RATE_PHONE_SENDS), str(user.pk)),
        # Per account and number together: a stranger asking for codes to someone's
        # number uses up their own sends, never the owner's.
        (
            SlidingWindow("phone_send_number", settings.RATE_PHONE_SENDS),
            f"{user.pk}:{phone_number}",
        ),
    ]
    if settings.PHONE_RESEND_SECONDS > 0:
        resend_gap = Rate(1, settings.PHONE_RESEND_SECONDS)
        windows.insert(0, (SlidingWindow("phone_resend", resend_gap), str(user.pk)))
    return windows


def _verified_elsewhere(user: User, phone_number: str) -> bool:
    """Another account holds the number verified, or gave it up within PHONE_REUSE_DAYS."""
    since = timezone.now() - timedelta(days=settings.PHONE_REUSE_DAYS)
    return (
        User.objects.filter(phone_number=phone_number, phone_verified_at__isnull=False)
        .exclude(pk=user.pk)
        .exists()
        or PhoneRelease.objects.filter(phone_number=phone_number, released_at__gt=since)
        .exclude(user=user)
        .exists()
    )


def phone_verification_start(*, user: User, phone_number: str, region: str = "") -> bool:
    """Send a fresh 6-digit code to the number; False when it is already the user's verified one.

    A new number replaces the old one and resets verification until its code is confirmed.
    """
    e164 = phone_number_to_e164(phone_number, region)
    if user.phone_verified and user.phone_number == e164:
        return False
    windows = _phone_windows(user, e164)
    for window, key in windows:
        window.check(key)
    if _verified_elsewhere(user, e164):
        # Counted like a send by this account: otherwise asking is a free, endless
        # oracle for which numbers belong to someone. (Every window is this account's.)
        for window, key in windows:
            window.acquire(key)
        raise PhoneInUse()

    code = f"{secrets.randbelow(1_000_000):06d}"
    now = timezone.now()
    with transaction.atomic():
        if user.phone_verified and user.phone_number:
            PhoneRelease.objects.create(phone_number=user.phone_number, user=user)
        user.phone_number = e164
        user.phone_verified_at = None
        user.save(update_fields=["phone_number", "phone_verified_at"])
        PhoneVerification.objects.update_or_create(
            user=user,
            defaults={
                "phone_number": e164,
                "code_hash": _code_hash(e164, code),
                "sent_at": now,
                "expires_at": now + timedelta(seconds=settings.PHONE_CODE_TTL),
                "failed_attempts": 0,
            },
        )
        # Last, inside the transaction: if the SMS cannot leave, nothing is saved or counted.
        taken = []
        try:
            for window, key in windows:
                taken.append((window, key, window.acquire(key)))
            send_sms(e164, f"{code} is your dmsite verification code.")
        except Exception as error:
            for window, key, slot in taken:
                window.release(key, slot)
            if isinstance(error, RateLimited):
                raise
            logger.exception("SMS backend failed to send a verification code")
            raise SmsUnavailable() from error
    return True


def _seconds_until_next_send(user: User, phone_number: str) -> float:
    return max(window.retry_after(key) for window, key in _phone_windows(user, phone_number))


def phone_verification_confirm(*, user: User, code: str) -> User:
    """Check the code; the number becomes the user's verified number.

    Each check claims one of the code's attempts atomically before comparing, so
    parallel guesses cannot exceed PHONE_CODE_ATTEMPTS.
    """
    verification = PhoneVerification.objects.filter(user=user).first()
    if verification is None or verification.phone_number != user.phone_number:
        raise InvalidCode("There is no code to check. Ask for a new one.")
    if verification.expires_at <= timezone.now():
        verification.delete()
        raise CodeExpired()
    claimed = PhoneVerification.objects.filter(
        pk=verification.pk, failed_attempts__lt=settings.PHONE_CODE_ATTEMPTS
    ).update(failed_attempts=F("failed_attempts") + 1)
    if not claimed:
        raise TooManyAttempts(
            _seconds_until_next_send(user, verification.phone_number),
            "Too many wrong codes. Ask for a new one.",
        )
    if not constant_time_compare(verification.code_hash, _code_hash(user.phone_number, code)):
        left = settings.PHONE_CODE_ATTEMPTS - verification.failed_attempts - 1
        raise InvalidCode(
            f"That code is not right. Attempts left: {left}."
            if left > 0
            else "That code is not right, and it no longer works. Ask for a new one."
        )
    if _verified_elsewhere(user, user.phone_number):
        raise PhoneInUse()
    try:
        with transaction.atomic():
            user.phone_verified_at = timezone.now()
            user.save(update_fields=["phone_verified_at"])
            verification.delete()
    except IntegrityError:
        user.phone_verified_at = None
        raise PhoneInUse() from None
    return user
