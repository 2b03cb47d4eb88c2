"""URL path converters shared by every app."""

from django.urls import register_converter

MAX_ID = 2**63 - 1


class IdConverter:
    """A database id: 1..2**63-1. Anything larger does not match the URL (404), instead of overflowing (500)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError(value)
        return number

    def to_url(self, value: int) -> str:
        return str(value)


def register() -> None:
    register_converter(IdConverter, "id")
