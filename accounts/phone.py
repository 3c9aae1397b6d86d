"""Phone number parsing with `phonenumbers`: any format it parses, stored as E.164."""

from functools import lru_cache

import phonenumbers

from accounts.errors import InvalidPhoneNumber


def phone_number_to_e164(raw: str, region: str | None = None) -> str:
    """E.164 input, or a national number with its ISO `region`; InvalidPhoneNumber otherwise."""
    try:
        number = phonenumbers.parse(raw, (region or "").upper() or None)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber() from None
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=65536)
def region_of(e164: str) -> str | None:
    """The ISO region of a stored E.164 number (cached: the DM policy asks per recipient)."""
    return phonenumbers.region_code_for_number(phonenumbers.parse(e164))
