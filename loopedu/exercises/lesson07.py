"""Exercises of lesson 07, "measuring loopback".

Introduced in notebooks/07-measuring-loopback.ipynb
(exercises/07-measuring-loopback-exercises.ipynb).

The answer keys are facts with their sources: RFC 9293 §3.10.7.1 (a SYN to a closed
port gets <CTL=RST,ACK>) and connect(2) (ECONNREFUSED), RFC 896 (Nagle's algorithm),
RFC 1122 §4.2.3.2 (delayed ACK) and the Linux kernel's TCP_DELACK_MIN (include/net/tcp.h,
HZ/25 = 40 ms), tcp(7) (TCP_NODELAY, TCP_CORK), sendmsg(2) and send(2) (MSG_MORE),
unix(7), drivers/net/loopback.c (lo offers checksum offload, NETIF_F_HW_CSUM, so TCP over
lo computes no checksums).
Two exercises take their variant from the learner's machine: 07.histogram reads the
learner's own round trips, measured and plotted in the notebook and passed to the check,
and 07.nodelay times the learner's own client against a live server, with Nagle on.
tests/test_exercises_lesson07.py checks the packet key against a live capture of a
refused connect on lo, the Nagle key against a live stall, and 07.histogram against the
standard library's percentiles of live samples. The free-text key of 07.nagle is read by
:func:`~loopedu.exercises.nagle_words.read_until`, a small vocabulary of whole words.
"""

from __future__ import annotations

import difflib
import errno
import re
import socket
from collections.abc import Mapping

from .answers import expect_mapping
from .nagle_words import read_until
from .framework import Feedback, exercise
from ..stats import Summary
from .reading import _as_float, _Unreadable, read_errno

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

#: tcpdump's letters (``[S.]`` is SYN-ACK, with or without brackets) and one-word
#: spellings.
_FLAG_SPELLINGS = {"synack": "SYN-ACK", "rstack": "RST-ACK",
                   **{form: flags for letters, flags in
                      (("s.", "SYN-ACK"), ("s", "SYN"), (".", "ACK"), ("p.", "PSH-ACK"),
                       ("f.", "FIN-ACK"), ("r", "RST"), ("r.", "RST-ACK"))
                      for form in (letters, f"[{letters}]")}}

#: How a learner may write what connect() raises, besides its errno name or strerror
#: text (read_errno) and Python's exception name (with or without "Error").
_ERRORS = {"ECONNREFUSED": {"connectionrefused", "refused"},
           "ETIMEDOUT": {"timeout", "timed out", "time out", "nothing", "hangs"},
           "ECONNRESET": {"connectionreset", "reset"},
           "ENETUNREACH": {"network unreachable"}}
_ERRNO_NAMES = sorted(set(errno.errorcode.values()))


def _error_name(text: str) -> str | None:
    """The errno name ``text`` (casefolded, spaces squashed) means, or None; raises
    ``_Unreadable`` for a slip of the keyboard in an errno name ("ECONREFUSED")."""
    named = read_errno(text) or next(
        (read_errno(w) for w in re.findall(r"\be[a-z0-9]{3,}\b", text) if read_errno(w)),
        None)
    if named:
        return named
    if text.strip(".!") == "oserror":
        raise _Unreadable("every socket error is an OSError: name the errno it carries "
                          "(connect(2) lists them), such as 'EADDRINUSE'.")
    bare = re.sub(r"\s*(error|exception)$", "", text.strip(".!")).replace(" ", "")
    for name, spellings in _ERRORS.items():
        if bare in spellings or text.strip(".!") in spellings:
            return name
    if re.fullmatch(r"e[a-z0-9]{3,}", bare):
        close = difflib.get_close_matches(bare.upper(), _ERRNO_NAMES, n=1, cutoff=0.8)
        if close:
            raise _Unreadable(f"{text.upper()!r} is not an errno name; did you mean "
                              f"{close[0]!r}?")
    return None


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
    (``ConnectionRefusedError``, ``"refused"``, ``"[Errno 111] Connection refused"``)
    are its errno name; other text upper-cased, other values as they are."""
    if not isinstance(value, str):
        return value
    text = " ".join(value.split()).casefold()
    if text in _FLAG_SPELLINGS:
        return _FLAG_SPELLINGS[text]
    parts = [p.upper() for p in re.split(r"[\s,+/|&-]+", text.strip(".")) if p]
    if parts and set(parts) <= set(_FLAG_ORDER):
        return "-".join(flag for flag in _FLAG_ORDER if flag in parts)
    return _error_name(text) or text.upper().replace(" ", "-")


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

#: "07.histogram": the learner's own round trips (``measure.rtt()`` on this machine, kept
#: in the answer under this key, so the check reads the numbers that were plotted).
TRIPS = "round trips"
#: Bars of ``plots.samples_histogram`` (its default), spanning the fastest sample to
#: twice p99: one bar's width is what a careful reading of the figure can tell apart.
BINS = 40
#: A reading passes within this share of the value, or within one bar's width where that
#: is more; never as far as halfway from the median to p99, so that neither passes for
#: the other where the bars can tell them apart.
SHARE = 0.2
#: The typical round trip, and the other single numbers a learner may name.
TYPICAL = ("the median", "the mean", "the maximum", "the minimum", "p99", "the mode")

_TYPICAL_WRONG = {
    "the mean": "The mean is pulled up by the few slow trips in the tail; it describes "
                "neither the body nor the tail.",
    "the maximum": "The maximum is one unlucky trip (a scheduler delay), not a typical one.",
    "the minimum": "The minimum is the luckiest trip; most were slower.",
    "p99": "p99 describes the unlucky trips: 99 in 100 were faster.",
    "the mode": "The tallest bar moves with the width of the bars; pick the number with "
                "half the trips on each side.",
}


def _samples(trips) -> list:
    """The round trips in µs of an ``Rtt`` or a list of numbers; ``_Unreadable`` else."""
    values = getattr(trips, "samples_us", trips)
    try:
        values = [float(v) for v in values]
    except Exception:
        values = []
    if len(values) < 100 or not all(0 < v < 1e7 for v in values):
        raise _Unreadable(f"keep {TRIPS!r} as the cell measured it (trips, from "
                          "measure.rtt()): the check reads your numbers against the trips "
                          "you plotted. Run the measuring cell again if it is gone.")
    return values


def _microseconds(value) -> float:
    text = re.sub(r"(?:µs|μs|us)$", "", value.casefold().strip()) if isinstance(value, str) \
        else value
    number = _as_float(text)
    if not 0 < number < 1e7:
        raise _Unreadable(f"a round trip is a positive number of microseconds, not "
                          f"{value!r}.")
    return number


def _typical(value) -> str:
    text = " ".join(str(value).split()).casefold().strip(". ")
    for name in TYPICAL:
        if text in (name, name.removeprefix("the "), name.replace("p99", "99th percentile")):
            return name
    if text in ("average", "the average", "mean value"):
        return "the mean"
    raise _Unreadable(f"name one of {', '.join(map(repr, TYPICAL))}, not {value!r}.")


def tolerance(true: float, width: float, summary) -> float:
    """How far a reading of ``true`` (the median or p99 of ``summary``) may be off, on a
    figure whose bars are ``width`` wide (see :data:`SHARE`)."""
    return max(width, min(SHARE * true, (summary.p99 - summary.median) / 2))


def _reading(key: str, read: float, true: float, width: float, summary) -> str | None:
    """Why ``read`` is not the ``key`` ("median" or "p99") of the trips, or None."""
    if abs(read - true) <= tolerance(true, width, summary):
        return None
    side = "above" if read > true else "below"
    if key == "median":
        return (f"Your median is too far {'right' if side == 'above' else 'left'}: "
                "add up the bars from the left until you pass half the trips.")
    if read <= (summary.median + summary.p99) / 2:
        return "Your p99 sits in the tall body; p99 lives in the thin tail."
    if read > summary.maximum:
        return ("Your p99 is slower than every trip measured: p99 leaves 1 trip in 100 "
                "above it.")
    if read >= summary.maximum * 0.9:
        return ("Your p99 is near the slowest trip: p99 leaves 1 trip in 100 above it, "
                "not none.")
    return (f"Your p99 is too far {'right' if side == 'above' else 'left'}: count the "
            "trips from the right, with those beyond the last bar (the legend counts "
            "them), until you reach 1 in 100.")


@exercise("07.histogram", lesson=7, title="Read your own round-trip histogram",
          hints=["The median has half the trips on each side; p99 has 99 in 100 below "
                 "it. The table under the figure counts the trips in each bar.",
                 "With 2,000 trips, the median is where the counts from the left pass "
                 "1,000; p99 is where 20 trips are left on the right (the legend counts "
                 "the trips beyond the last bar). Read it to within a bar's width."])
def _histogram(answer):
    if not isinstance(answer, Mapping):
        return Feedback(False, f"Give a dict: {{{TRIPS!r}: trips, 'median (µs)': ..., "
                               "'p99 (µs)': ..., 'typical round trip': ...}.")
    given = {re.sub(r"\s*\((?:µs|μs|us)\)", "", " ".join(str(k).split()).casefold()): v
             for k, v in answer.items()}
    try:
        samples = _samples(given.get(TRIPS, ()))
    except _Unreadable as exc:
        return Feedback(False, f"For {TRIPS!r}: {exc}")
    summary = Summary.of(samples)
    width = (min(summary.maximum, 2 * summary.p99) - summary.minimum) / BINS
    wanted = {"median (µs)": ("median", summary.median), "p99 (µs)": ("p99", summary.p99)}
    said, missing = [], []
    for key, (name, true) in wanted.items():
        value = given.get(name)
        if value is None or value is ...:
            missing.append(key)
            continue
        try:
            said.append(_reading(name, _microseconds(value), true, width, summary))
        except _Unreadable as exc:
            said.append(f"For {key!r}: {exc}")
    typical = given.get("typical round trip")
    if typical is None or typical is ...:
        missing.append("typical round trip")
    else:
        try:
            said.append(_TYPICAL_WRONG.get(_typical(typical)))
        except _Unreadable as exc:
            said.append(f"For 'typical round trip': {exc}")
    wrong = [m for m in said if m]
    right = 3 - len(wrong) - len(missing)
    if missing:
        wrong.append("No answer yet for: " + ", ".join(map(repr, missing)) + ".")
    if wrong:
        return Feedback(False, " ".join(wrong), general=f"{right} of 3 answers right."
                        + (" " + wrong[-1] if missing else ""))
    return Feedback(True, "Right: on your own machine's histogram the median sits in the "
                          "tall body and p99 out in the thin tail, and the median describes "
                          "the typical trip (the slow few pull the mean up). Report the two "
                          "together, with where the processes ran.")


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
#: Why this system cannot do the exercise: Python on Windows has neither socket.sendmsg
#: (sendmsg(2) is POSIX) nor TCP_CORK (Linux, tcp(7)).
NO_WAY_HERE = ("This Python has neither socket.sendmsg (sendmsg(2), POSIX: Linux, macOS) "
               "nor TCP_CORK (Linux, tcp(7)): on Windows, Winsock's gather write "
               "(WSASend) is not reachable from Python's socket module. Keeping Nagle on "
               "with two buffers cannot be done here: read the worked answer, and run it "
               "on Linux or macOS (the course's JupyterHub or Binder).")
_PASSED = {
    "gather": "one sendmsg hands the kernel both buffers in one call (a gather write, "
              "like writev), so they leave as one segment",
    "cork": "the cork holds the header until the body joins it, and taking it out sends "
            "both as one segment",
    "more": "MSG_MORE tells the kernel more is coming, so the header waits for the body "
            "and both leave as one segment",
}


@exercise("07.nodelay", lesson=7,
          title="Take the stall away with Nagle on and two buffers",
          hints=["The stall comes from a second small segment waiting for the ACK of the "
                 "first. Keep Nagle on: make the header and the body leave as ONE "
                 "segment, without copying them into one buffer.",
                 "sendmsg(2) (Python's sock.sendmsg) takes a list of buffers and sends "
                 "them in one call, like writev(2). On Linux, tcp(7) has TCP_CORK: while "
                 "it is in, the kernel sends no partial segment.",
                 "sock.sendmsg([header, body]), then read the reply. Or "
                 "sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1), the two "
                 "sendall calls, then the same with 0 to pull the cork out."])
def _nodelay(answer):
    if not hasattr(socket.socket, "sendmsg") and not hasattr(socket, "TCP_CORK"):
        return Feedback(False, NO_WAY_HERE)
    if not callable(answer):
        return Feedback(False, _CLIENT_FUNCTION)
    from ..measure.nagle import REPLY, time_client

    timing = time_client(answer)
    if timing.problem:
        return Feedback(False, f"Your ask could not be timed: {timing.problem}.")
    if timing.wrong_replies:
        return Feedback(False, f"ask returned {timing.wrong_replies[0]!r}; the server "
                               f"answered {REPLY!r}: return what recv() read.")
    if timing.nodelay:
        return Feedback(False, "TCP_NODELAY is on after your ask ran: that is the "
                               "lesson's fix. Here Nagle stays on (other small writes on "
                               "this connection still gain from it): send header and body "
                               "as one segment instead.")
    if timing.nodelay_writing:
        return Feedback(False, "TCP_NODELAY was on while your ask wrote, and off again "
                               "after: Nagle was switched off during the writes, which "
                               "is the lesson's fix. Keep Nagle on the whole time: send "
                               "header and body as one segment instead.")
    if "one buffer" in timing.ways:
        return Feedback(False, "header + body copies both parts into a new buffer. Keep "
                               "them two buffers (think of a body of megabytes) and still "
                               "hand them to the kernel together.")
    median = timing.median_ms
    if median > STALL_MS and timing.corked:
        return Feedback(False, f"Each request took {median:.0f} ms: the cork is still in "
                               "after ask returns, and corked data waits up to 200 ms "
                               "(tcp(7)). Take the cork out once the body is written.")
    if median > STALL_MS:
        return Feedback(False, f"Each request took {median:.0f} ms: the stall of the lesson "
                               "is there. The body still leaves as a second small segment, "
                               "held back until the header is acknowledged.")
    way = next((w for w in ("gather", "cork", "more") if w in timing.ways), None)
    if way is None:
        return Feedback(False, "Fast here, yet your ask still sends the header and the body "
                               "as two small writes: this system acknowledged at once, and "
                               "Linux's delayed ACK would stall it. Hand both to the kernel "
                               "as one segment.")
    return Feedback(True, f"Right: {_PASSED[way]}. Nothing small waits for an ACK, Nagle "
                          "stays on for the rest of the connection, and nothing was copied.")
