"""The errors the action reports; each kind of failure has one class."""


class ActionError(Exception):
    """A failure reported to the user as an annotation instead of a traceback."""

    title = "track-deployment failed"
    #: An outage fails the step only with `fail_on_error: true`; everything else always does.
    outage = False


class InputError(ActionError):
    """An input or runner variable has a value the action cannot accept."""

    title = "Invalid input"


class EventError(ActionError):
    """The event file is missing, unreadable or not shaped like the event it names."""

    title = "Unreadable event"


class MissingFieldError(ActionError):
    """A required field of the record is neither derivable nor given as an input."""

    title = "Missing deployment field"


class ServiceRejected(ActionError):
    """iftrue answered with a 4xx (or a redirect): the configuration must change."""

    title = "iftrue rejected the deployment"


class ServiceUnavailable(ActionError):
    """iftrue could not be reached or kept failing after the retries."""

    title = "iftrue unavailable"
    outage = True

    def __init__(self, message: str, *, maybe_recorded: bool = False) -> None:
        super().__init__(message)
        #: The record was sent and no answer read: iftrue may hold it, so a replay must look first.
        self.maybe_recorded = maybe_recorded


class OutboxError(Exception):
    """A request of the outbox failed; the record stays where it was, and the run goes on."""


class LookupFailed(Exception):
    """A GitHub look-up failed; the field falls back and the run goes on."""

    def __init__(self, reason: str, *, stop: bool = False, cause: str = "") -> None:
        super().__init__(reason)
        #: True when later look-ups would fail the same way (bad credentials, rate limit).
        self.stop = stop
        #: "permission" when GitHub refused or hid what was asked (403, 404): a permission the
        #: job lacks; "token" when it refused the token (401); "" for anything else.
        self.cause = cause


class Cancelled(BaseException):
    """The runner cancelled the step (SIGINT, then SIGTERM): stop, and keep what is known.

    A BaseException, like KeyboardInterrupt, so that no `except Exception` on the way out (a
    library's or the action's own) holds it up.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
        #: Cancelled while the record was being delivered: iftrue may hold it.
        self.maybe_recorded = False
