"""How a learner's words for "the client's kernel holds back the body until ..."
(exercise 07.nagle) are read: a small vocabulary of whole words, never a search for the
letters "ack" (issue 21's second review), and a word one slip of the keyboard away from
an acknowledgement ("ackowledged", "aknowledged") read as one.

Introduced in notebooks/07-measuring-loopback.ipynb (exercise 07.nagle).
"""

from __future__ import annotations

import difflib
import re

__all__ = ["read_until"]

# The vocabulary of read_until, whole words only ("holds back" and "stack" hold no ACK).
_ACK_WORDS = {"ack", "acks", "acked", "acking", "acknowledge", "acknowledges",
              "acknowledged", "acknowledging", "acknowledgement", "acknowledgements",
              "acknowledgment", "acknowledgments"}
_UNACKED_WORDS = {"unacknowledged", "unacked"}     # "no unacknowledged data" is the idea


def _is(word: str, vocabulary: set) -> bool:
    """``word`` is in ``vocabulary``, or (from 7 letters) one slip away from a word of it:
    "ackowledged" is "acknowledged"; "attack" and "stack" stay what they are."""
    return word in vocabulary or (len(word) >= 7 and bool(
        difflib.get_close_matches(word, vocabulary, n=1, cutoff=0.85)))

_NEGATIONS = {"no", "not", "never", "without", "nothing", "none"}
_LOSS_WORDS = {"lost", "lose", "loses", "losing", "dropped", "drop", "drops", "missing"}
_HANDSHAKE_WORDS = {"syn", "synack", "handshake"}
_CLOSING_WORDS = {"fin", "finack", "rst", "reset", "close", "closes", "closed", "closing",
                  "shutdown", "teardown"}
_SERVER_WORDS = {"server", "servers", "receiver", "peer", "remote", "other"}
_CLIENT_WORDS = {"client", "clients"}
#: Words that may stand between who sends an ACK and the ACK ("the server's kernel
#: sends its ACK"); any other word ("the client gets the ACK") ends the search.
_BETWEEN = {"s", "the", "a", "an", "its", "their", "kernel", "side", "end", "tcp",
            "stack", "sends", "send", "sent", "returns", "gives", "then", "finally",
            "own", "delayed", "first", "back"}
_SENDER_MARKS = {"from", "by"}
_FIRST_SEGMENT = {"header", "headers", "first", "previous", "earlier", "outstanding",
                  "prior", "1st"}
_SECOND_SEGMENT = {"body", "second", "2nd"}


def _sender(words: list[str], at: int) -> str | None:
    """Who sends the ACK at ``words[at]``: "client", "server" or None (not said)."""
    for i, word in enumerate(words[:-1]):
        if word in _SENDER_MARKS:
            for after in words[i + 1:]:
                if after in _CLIENT_WORDS | _SERVER_WORDS:
                    return "client" if after in _CLIENT_WORDS else "server"
                if after not in _BETWEEN:
                    break
    for before in reversed(words[:at]):
        if before in _CLIENT_WORDS | _SERVER_WORDS:
            return "client" if before in _CLIENT_WORDS else "server"
        if before not in _BETWEEN:
            return None
    return None


def read_until(text) -> str:
    """What a learner's words for "the client's kernel holds back the body until ..."
    say, read with a small vocabulary (whole words, not letters inside words):

    - ``"ack"``, the idea of the key: an acknowledgement (ack, acked, acknowledgement...)
      that arrives: "the server acks the header", "delayed ack fires"; or "no
      unacknowledged data" (RFC 896's own words);
    - ``"no ack"``: negated (no, not, never, without... up to three words before it) or
      lost (lost, dropped, missing): "the server does not acknowledge";
    - ``"handshake ack"``: SYN or handshake words with it ("the SYN-ACK arrives");
    - ``"closing"``: FIN, RST, close... ("the connection is closed and acked");
    - ``"client ack"``: the client sends it ("the client acknowledges", "acked by the
      client"): the sender is the party word just before it, across only small words
      such as "the", "'s", "kernel", "sends", or after "from"/"by";
    - ``"body ack"``: the body (or second segment) is what is acknowledged and no
      first segment (header, first, previous...) is named;
    - without an acknowledgement: ``"40 ms"``, ``"timeout"``, ``"full"``, ``"reply"``,
      ``"nagle"`` for those ideas, else the text itself (compared as it is).

    >>> read_until("the ACK of the first segment comes back"), read_until("no ACK")
    ('ack', 'no ack')
    >>> read_until("the SYN-ACK arrives"), read_until("the body is acknowledged")
    ('handshake ack', 'body ack')

    Introduced in notebooks/07-measuring-loopback.ipynb (exercise 07.nagle).
    """
    if not isinstance(text, str):
        return text
    squashed = " ".join(text.split()).casefold().strip(".")
    words = re.findall(r"[a-z0-9]+", squashed.replace("n't", " not"))
    acks = [i for i, word in enumerate(words)
            if not word.startswith("un") and _is(word, _ACK_WORDS)]
    negated = {i for i, word in enumerate(words)
               if word in _NEGATIONS and i + 1 < len(words)}
    cleared = [i for i, word in enumerate(words) if word.startswith("un")
               and _is(word, _UNACKED_WORDS)
               and negated & set(range(i - 3, i))]
    if not acks and not cleared:
        return _no_ack_idea(squashed, words)
    if cleared:
        return "ack"
    at = acks[0]
    if negated & set(range(at - 3, at)) or _LOSS_WORDS & set(words):
        return "no ack"
    if _HANDSHAKE_WORDS & set(words):
        return "handshake ack"
    if _CLOSING_WORDS & set(words):
        return "closing"
    if _sender(words, at) == "client":
        return "client ack"
    if _SECOND_SEGMENT & set(words) and not _FIRST_SEGMENT & set(words):
        return "body ack"
    return "ack"


def _no_ack_idea(squashed: str, words: list[str]) -> str:
    """An answer without an acknowledgement in it, read as one of the known ideas."""
    if re.search(r"\b(?:40|\d*\s*ms|milliseconds?)\b", squashed):
        return "40 ms"
    if any(word.startswith("time") for word in words):
        return "timeout"
    if "full" in words or "mss" in words:
        return "full"
    if any(word.startswith(("repl", "answer", "respon")) for word in words):
        return "reply"
    if "nagle" in words or "nagles" in words:
        return "nagle"
    return squashed
