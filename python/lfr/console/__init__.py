"""The operator console: a web page where officers see alerts beside the enrolled photos and
adjudicate them, served by the daemon as one more supervised actor (see docs/console.md)."""

from lfr.console.actor import CONSOLE_ACTOR, ConsoleActor, console_actor
from lfr.console.feed import ConsoleFeed
from lfr.console.sessions import SessionBook
from lfr.console.web import ConsoleContext

__all__ = [
    "CONSOLE_ACTOR",
    "ConsoleActor",
    "ConsoleContext",
    "ConsoleFeed",
    "SessionBook",
    "console_actor",
]
