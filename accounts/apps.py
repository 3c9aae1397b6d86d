from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # A wrong SMS_BACKEND must stop start-up, not the first sign-up.
        from accounts.sms import get_backend

        try:
            backend = get_backend()
        except (ImportError, TypeError) as error:  # TypeError: the path names a non-class
            problem = str(error)
        else:
            if callable(getattr(backend, "send", None)):
                return
            problem = f"{type(backend).__name__} has no send(to, body) method"
        raise ImproperlyConfigured(
            "Environment variable SMS_BACKEND is invalid: expected console, file, locmem "
            f"or a dotted path to a backend class ({problem})."
        )
