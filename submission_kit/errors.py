"""The one exception type for problems a user can fix.

The CLI turns a `UserError` into a message and exit code 2, without a traceback. Anything
else that escapes is a bug (exit 1). Messages name the file, dataset, variable or template
line so the user can go straight to the cause.
"""

from __future__ import annotations


class UserError(Exception):
    """Bad input: data, configuration or template. Exit code 2."""

    def __init__(self, message: str, details: tuple[str, ...] | list[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details = tuple(details)

    def __reduce__(self) -> tuple[type[UserError], tuple[str, tuple[str, ...]]]:
        # Raised in a worker process (an analysis run by --jobs), it arrives whole.
        return UserError, (self.message, self.details)

    def __str__(self) -> str:
        if not self.details:
            return self.message
        return self.message + "\n" + "\n".join(f"  {line}" for line in self.details)
