"""Exercises of lesson 07, "measuring loopback".

Introduced in notebooks/07-measuring-loopback.ipynb
(exercises/07-measuring-loopback-exercises.ipynb).

The answer keys are facts with their sources: RFC 9293 §3.10.7.1 (a SYN to a closed
port gets <CTL=RST,ACK>) and connect(2) (ECONNREFUSED), RFC 896 (Nagle's algorithm),
RFC 1122 §4.2.3.2 (delayed ACK) and the Linux kernel's TCP_DELACK_MIN (include/net/tcp.h,
HZ/25 = 40 ms), tcp(7) (TCP_NODELAY), unix(7), drivers/net/loopback.c (lo offers checksum
offload, NETIF_F_HW_CSUM, so TCP over lo computes no checksums), and the percentiles of a
fixed sample computed by the tests with the standard library.
tests/test_exercises_lesson07.py checks the packet key against a live capture of a
refused connect on lo and the Nagle key against a live stall; 07.nodelay times the
learner's own client against a live server. The free-text key of 07.nagle is read by
:func:`read_until`, a small vocabulary of whole words (an acknowledgement that arrives,
from the server, of the header), never by a search for the letters "ack".
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping

from .answers import expect_mapping
from .framework import Feedback, exercise

# ---- 07.packets ----------------------------------------------------------------------------

#: "07.packets": a client connects to 127.0.0.1 on a port where nothing listens, while a
#: capture on lo runs. The lesson captured a connection that was accepted; this one is
#: refused: the SYN, then the kernel's reset, which for a SYN (ACK bit off) is
#: <CTL=RST,ACK> (RFC 9293 §3.10.7.1, a segment to a CLOSED connection); connect()
#: then fails with ECONNREFUSED (connect(2)).
PACKETS_KEY = {"packets on lo for that port": 2, "flags of the first": "SYN",
               "flags of the second": "RST-ACK", "connect() raises": "ECONNREFUSED",
               "a network card also sees them": False}

#: The flags an answer about the capture may name, in the order a combination is
#: written (``SYN-ACK``, ``FIN-ACK``): a value outside them is told it is not one.
FLAGS = ("SYN", "SYN-ACK", "ACK", "PSH-ACK", "FIN", "FIN-ACK", "RST", "RST-ACK")
_FLAG_ORDER = ("SYN", "FIN", "RST", "PSH", "URG", "ACK")

#: tcpdump's letters (``[S.]`` is SYN-ACK) and one-word spellings.
_FLAG_SPELLINGS = {"synack": "SYN-ACK", "[s.]": "SYN-ACK", "[s]": "SYN", "[.]": "ACK",
                   "[p.]": "PSH-ACK", "[f.]": "FIN-ACK", "[r]": "RST", "[r.]": "RST-ACK",
                   "rstack": "RST-ACK"}

#: How a learner may write what connect() raises.
_ERRORS = {"ECONNREFUSED": {"econnrefused", "connectionrefusederror", "connection refused",
                            "refused", "errno 111", "111"},
           "ETIMEDOUT": {"etimedout", "timeouterror", "timeout", "timed out", "time out",
                         "nothing", "hangs"},
           "ECONNRESET": {"econnreset", "connectionreseterror", "connection reset",
                          "reset"},
           "ENETUNREACH": {"enetunreach", "network unreachable", "network is unreachable"}}

_PACKETS_COMMON = {
    ("packets on lo for that port", 0): "The client's SYN still goes out through lo, "
                                        "listener or not.",
    ("packets on lo for that port", 1): "The SYN does get an answer: the connect fails "
                                        "at once, not after a timeout. What carries that "
                                        "answer?",
    ("packets on lo for that port", 3): "With nothing listening there is no SYN-ACK, so "
                                        "no handshake to finish.",
    ("packets on lo for that port", 4): "The lesson's raw socket saw each packet twice, "
                                        "leaving and arriving; a capture counts each "
                                        "packet once.",
    ("flags of the second", "SYN-ACK"): "A SYN-ACK would mean something accepted the "
                                        "connection; nothing listens on that port.",
    ("flags of the second", "RST"): "Nearly: the reset carries a second flag too, as it "
                                    "answers a SYN (RFC 9293 §3.10.7.1, a segment to a "
                                    "closed port).",
    ("flags of the second", "ACK"): "An ACK alone would acknowledge and wait; the kernel "
                                    "ends the attempt instead.",
    ("connect() raises", "ETIMEDOUT"): "A timeout means silence (a DROP rule, a lost "
                                       "packet); a closed port answers at once.",
    ("connect() raises", "ECONNRESET"): "A reset that answers a SYN is reported as a "
                                        "refusal: the connection never existed.",
    ("a network card also sees them", True): "Lesson 04's counters: loopback packets are "
                                             "handed straight back up the stack.",
}


def _flags_or_value(value):
    """Flags read as a set, written in one order: ``"ack+syn"``, ``"SYN, ACK"`` and
    tcpdump's ``[S.]`` are all ``"SYN-ACK"``; an error's spellings
    (``ConnectionRefusedError``, ``"refused"``) are its errno name; other text
    upper-cased, other values as they are."""
    if not isinstance(value, str):
        return value
    text = " ".join(value.split()).casefold()
    if text in _FLAG_SPELLINGS:
        return _FLAG_SPELLINGS[text]
    for name, spellings in _ERRORS.items():
        if text.strip(".!") in spellings:
            return name
    parts = [p.upper() for p in re.split(r"[\s,+/|&-]+", text.strip(".")) if p]
    if parts and set(parts) <= set(_FLAG_ORDER):
        return "-".join(flag for flag in _FLAG_ORDER if flag in parts)
    return text.upper().replace(" ", "-")


_FLAG_KEYS = ("flags of the first", "flags of the second")


@exercise("07.packets", lesson=7, title="What does lo show for a refused connection?",
          hints=["Nothing listens, so no handshake can finish. The client's SYN still goes "
                 "out: what does the kernel send back for a port where nothing listens?",
                 "RFC 9293 §3.10.7.1: a segment to a closed port gets a reset; one that "
                 "answers a SYN also acknowledges it. connect(2) names the error: "
                 "\"found no one listening on the remote address\"."])
def _packets(answer):
    return expect_mapping(answer, PACKETS_KEY, normalize=_flags_or_value,
                          common=_PACKETS_COMMON, noun="answer",
                          allowed={key: FLAGS for key in _FLAG_KEYS},
                          right="Right: the SYN and the kernel's RST-ACK, both on lo and "
                                "nowhere else, and connect() fails at once with "
                                "ECONNREFUSED. A timeout would have meant silence.")


# ---- 07.histogram ----------------------------------------------------------------------------

def histogram_samples() -> tuple:
    """The round trips of "07.histogram" in microseconds: 1,000 made-up but typical
    loopback samples (a tight body and a slow tail), the same on every machine."""
    rng = random.Random(2026)
    samples = [round(rng.gauss(20, 2.5), 1) for _ in range(950)]
    samples += [round(rng.uniform(80, 320), 1) for _ in range(50)]
    rng.shuffle(samples)
    return tuple(samples)


#: The choices of "07.histogram" (microseconds).
MEDIAN_OPTIONS = {"a": "about 10 µs", "b": "about 20 µs", "c": "about 30 µs",
                  "d": "about 100 µs"}
P99_OPTIONS = {"a": "about 25 µs", "b": "about 60 µs", "c": "about 120 µs",
               "d": "about 275 µs"}
TYPICAL_OPTIONS = {"a": "the mean", "b": "the median", "c": "the maximum"}
HISTOGRAM_KEY = {"median": "b", "p99": "d", "typical round trip": "b"}

_HISTOGRAM_COMMON = {
    ("median", "c"): "30 µs is nearer the mean: the slow tail pulls the mean up, not the "
                     "median.",
    ("median", "a"): "Half the samples lie above the median; the tall bars are not that "
                     "far left.",
    ("p99", "a"): "p99 is the value 99 in 100 samples stay under: it lives in the tail.",
    ("p99", "b"): "Count the tail: about one sample in twenty is slow, so p99 is deep in it.",
    ("typical round trip", "a"): "The mean is pulled up by the few slow samples; half the "
                                 "samples are faster than a different number.",
    ("typical round trip", "c"): "The maximum is one unlucky sample: a scheduler delay, "
                                 "not the typical case.",
}


def _letter(value) -> str:
    return " ".join(str(value).split()).casefold().strip("() .:")


@exercise("07.histogram", lesson=7, title="Read a round-trip histogram",
          hints=["The median has half the samples on each side; p99 has 99 in 100 below "
                 "it.",
                 "About 5 of every 100 samples are in the slow tail: where does the 99th "
                 "in 100 fall?"])
def _histogram(answer):
    options = {"median": MEDIAN_OPTIONS, "p99": P99_OPTIONS,
               "typical round trip": TYPICAL_OPTIONS}
    if isinstance(answer, Mapping):
        for key, value in answer.items():
            letters = options.get(" ".join(str(key).split()).casefold())
            if letters and value is not None and value is not ... \
                    and _letter(value) not in letters:
                listed = ", ".join(f"'{k}'" for k in letters)
                return Feedback(False, f"For {key!r}: answer with the letter of an option "
                                       f"({listed}), not {value!r}: find the option that "
                                       "says what you read on the chart.")
    return expect_mapping(answer, HISTOGRAM_KEY, coerce=_letter, normalize=lambda v: v,
                          common=_HISTOGRAM_COMMON, noun="answer",
                          right="Right: a median near 20 µs, a p99 out in the tail, and "
                                "the median (with p99 beside it) says more than the mean.")


# ---- 07.why-numbers ---------------------------------------------------------------------------

#: "07.why-numbers": true or false, on Linux loopback? (lo offers checksum offload,
#: NETIF_F_HW_CSUM, and its MTU is 64 KiB: drivers/net/loopback.c.)
WHY_NUMBERS_KEY = {
    "smaller writes mean more system calls per byte, so lower throughput": True,
    "loopback throughput is limited by the network card's speed": False,
    "lo's packet counters grow while two processes talk over a Unix-domain socket": False,
    "a TCP segment captured on lo carries the checksum of that segment": False,
    "where the scheduler puts client and server (one core or two) changes the round trip":
        True,
}

_WHY_COMMON = {
    ("smaller writes mean more system calls per byte, so lower throughput", False):
        "Each send() has a fixed cost however few bytes it carries: look at the buffer-"
        "size chart.",
    ("loopback throughput is limited by the network card's speed", True):
        "No network card is involved (lesson 04): the limit is the CPU copying bytes.",
    ("lo's packet counters grow while two processes talk over a Unix-domain socket", True):
        "unix(7): a Unix-domain socket passes data between processes inside the kernel, "
        "with no IP, no packets and no network device, lo included.",
    ("a TCP segment captured on lo carries the checksum of that segment", True):
        "lo tells the kernel it fills in checksums itself (checksum offload, drivers/net/"
        "loopback.c), and it never does: the field keeps only the partial sum a card "
        "would complete, since no bit can flip on the way.",
    ("where the scheduler puts client and server (one core or two) changes the round trip",
     False): "Compare the lesson's same-core and two-core round trips.",
}


@exercise("07.why-numbers", lesson=7, title="Why do loopback numbers differ?",
          hints=["Each statement matches one of the lesson's experiments: buffer sizes, "
                 "transports, CPU placement.",
                 "Loopback has no wire: every cost is the CPU's, and lo skips what a wire "
                 "would need (look at what the lesson says about its MTU and checksums)."])
def _why_numbers(answer):
    return expect_mapping(answer, WHY_NUMBERS_KEY, noun="answer",
                          common=_WHY_COMMON,
                          right="Right: on loopback the CPU is the network. System calls, "
                                "protocol work and where the two processes run set the "
                                "numbers; lo spares TCP the checksums, and a Unix-domain "
                                "socket never reaches lo at all: no IP, no TCP, no packets.")


# ---- 07.nagle ----------------------------------------------------------------------------------

#: "07.nagle": a client writes a 10-byte header, then a 100-byte body, then waits for the
#: reply; on Linux every request takes about 40 ms. What is happening, what fixes it?
NAGLE_KEY = {
    "the client's kernel holds back the body until": "ack",   # read_until's "ack"
    "the server's kernel delays that ACK, hoping to send it with data": True,
    "TCP_NODELAY on the client fixes it": True,
    "sending header and body in one write fixes it": True,
    "a bigger receive buffer on the server fixes it": False,
}

_UNTIL = "the client's kernel holds back the body until"

_NAGLE_COMMON = {
    (_UNTIL, "timeout"):
        "Nagle's algorithm waits for something specific: what would tell the client its "
        "first small segment arrived?",
    (_UNTIL, "full"):
        "It does not wait for a full segment alone: an acknowledgement releases it too.",
    (_UNTIL, "reply"):
        "The server cannot reply before the body arrives, and the body is what waits: "
        "something smaller than a reply releases it.",
    (_UNTIL, "40 ms"):
        "40 ms is the server's timer, not the client's: when it fires, what does the "
        "server send that releases the body?",
    (_UNTIL, "nagle"):
        "Nagle's algorithm is the client's rule; the question is what it waits for before "
        "it sends the next small segment.",
    (_UNTIL, "no ack"):
        "An acknowledgement that never came (or was lost) would hold the body for good, "
        "not for 40 ms, and nothing is lost on loopback. The body waits for something "
        "that does arrive, only late: what, and from which end?",
    (_UNTIL, "handshake ack"):
        "The SYN-ACK belongs to the handshake, over before the header was written. Which "
        "acknowledgement tells the client that its header arrived?",
    (_UNTIL, "closing"):
        "A FIN, a reset or a close is the connection closing, after the reply; the body "
        "waits long before that. What would tell the client that its header arrived?",
    (_UNTIL, "client ack"):
        "The client is the end sending data here: an acknowledgement that releases its "
        "body has to come from the other end.",
    (_UNTIL, "body ack"):
        "The body is what waits: it cannot be acknowledged before it is sent. Which "
        "segment is still unacknowledged when the body is written?",
    ("a bigger receive buffer on the server fixes it", True):
        "The buffer is nearly empty: the bytes are waiting in the client, not the server.",
    ("sending header and body in one write fixes it", False):
        "With one write there is no second small segment for Nagle to hold back.",
}

# The vocabulary of read_until, whole words only ("holds back" and "stack" hold no ACK).
_ACK_WORDS = {"ack", "acks", "acked", "acking", "acknowledge", "acknowledges",
              "acknowledged", "acknowledging", "acknowledgement", "acknowledgements",
              "acknowledgment", "acknowledgments"}
_UNACKED_WORDS = {"unacknowledged", "unacked"}     # "no unacknowledged data" is the idea
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
    acks = [i for i, word in enumerate(words) if word in _ACK_WORDS]
    negated = {i for i, word in enumerate(words)
               if word in _NEGATIONS and i + 1 < len(words)}
    cleared = [i for i, word in enumerate(words) if word in _UNACKED_WORDS
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


@exercise("07.nagle", lesson=7, title="Explain a 40 ms stall",
          hints=["Two small writes, then a read: the lesson's break-it-on-purpose cell.",
                 "RFC 896: a small segment waits while earlier data is unacknowledged; "
                 "RFC 1122 §4.2.3.2: a receiver may delay an ACK."])
def _nagle(answer):
    return expect_mapping(answer, NAGLE_KEY, normalize=read_until,
                          common=_NAGLE_COMMON, noun="answer",
                          right="Right: Nagle holds the body until the header is "
                                "acknowledged, the server delays that ACK (40 ms minimum on "
                                "Linux), and either TCP_NODELAY or a single write ends the "
                                "wait.")


# ---- 07.nodelay ---------------------------------------------------------------------------------

_CLIENT_FUNCTION = ("Give your function itself, without calling it: check(\"07.nodelay\", "
                    "ask). It takes (sock, header, body).")
#: Above this median (milliseconds) a client still stalls: a loopback round trip takes
#: tens of microseconds, the stall at least 40 ms on Linux (200 ms on Windows).
STALL_MS = 20.0


@exercise("07.nodelay", lesson=7,
          title="Write the write-write-read request, then take its stall away",
          hints=["ask(sock, header, body) calls sock.sendall twice, header then body, "
                 "then sock.recv, and returns what recv gave.",
                 "Keep the two writes: the fix is an option of the socket, set before the "
                 "writes. tcp(7) lists the option that turns Nagle's algorithm off.",
                 "sock.setsockopt(level, option, 1): the level of TCP's options is "
                 "socket.IPPROTO_TCP."])
def _nodelay(answer):
    if not callable(answer):
        return Feedback(False, _CLIENT_FUNCTION)
    from ..measure.nagle import REPLY, time_client

    timing = time_client(answer)
    if timing.problem:
        return Feedback(False, f"Your ask could not be timed: {timing.problem}.")
    if timing.wrong_replies:
        return Feedback(False, f"ask returned {timing.wrong_replies[0]!r}; the server "
                               f"answered {REPLY!r}: return what recv() read.")
    median = timing.median_ms
    if median > STALL_MS and not timing.nodelay:
        return Feedback(False, f"Each request took {median:.0f} ms: the stall of the lesson "
                               "is there (two small writes, Nagle on, the server's delayed "
                               "ACK). Now take it away without joining the writes.")
    if median > STALL_MS:
        return Feedback(False, f"TCP_NODELAY is set, yet each request took {median:.0f} ms: "
                               "does ask send the header and the body before it reads?")
    if not timing.nodelay:
        return Feedback(False, "Fast, but TCP_NODELAY is not set on the socket: you avoided "
                               "the stall another way (one write?). This exercise asks for "
                               "the other fix: keep two writes and change the socket.")
    return Feedback(True, "Right: with TCP_NODELAY the body leaves at once, so each "
                          "request costs a loopback round trip, not the server's "
                          "delayed-ACK timer.")
