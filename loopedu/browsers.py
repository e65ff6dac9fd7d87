"""What browsers do today about web pages that reach this machine's loopback (DNS
rebinding, requests to localhost and 0.0.0.0): one row per change, each with its source,
what a page can still reach, and the day it was last checked. These change: a test lists
rows older than a year (tests/test_claims.py).

Introduced in notebooks/08-when-loopback-leaks.ipynb.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BrowserChange", "BROWSER_STATUS"]


@dataclass(frozen=True)
class BrowserChange:
    """What a browser does today about pages reaching loopback and local addresses: the
    browser, the change, the version or date, a primary source, what a page can still
    reach, a note on what is not certain, and the date the row was last checked
    (``as_of``, ISO 8601: re-check rows older than a year).

    Introduced in notebooks/08-when-loopback-leaks.ipynb.
    """
    browser: str
    change: str
    version: str
    source: str
    still_reaches: str
    as_of: str
    note: str = ""
    uncertain: bool = False


#: Browsers and loopback, as of the dates in each row. Rows marked ``uncertain`` carry
#: versions or dates not confirmed from a primary source: check before teaching them.
BROWSER_STATUS = (
    BrowserChange(
        "Chrome", "Local Network Access: a page from the public internet needs the "
        "user's permission before it reaches a local or loopback address (it replaced "
        "Private Network Access)",
        "on by default since Chrome 142 (2025-10-28); an opt-in flag from 138",
        "https://chromestatus.com/feature/5152728072060928; blink-dev intent to ship "
        "(targeting M142); https://developer.chrome.com/blog/local-network-access",
        "a page the user granted the permission; pages served from the local network or "
        "loopback themselves; request types the first milestone did not cover; every "
        "older Chrome and every non-browser client", "2026-12-07",
        "the first milestone covers fetch, subresources and subframes"),
    BrowserChange(
        "Chrome", "requests from public pages to 0.0.0.0 are blocked (Deprecate 0.0.0.0 "
        "for Private Network Access): the hole \"0.0.0.0 Day\" used past PNA",
        "intent to remove 2024-06-03, rolled out gradually",
        "https://chromestatus.com/feature/5106143060033536; blink-dev intent "
        "https://groups.google.com/a/chromium.org/g/blink-dev/c/9uymCQNGVgw",
        "older Chrome; other clients", "2026-12-07",
        "the milestone of the full rollout (133 in secondary sources) is not confirmed "
        "here", True),
    BrowserChange(
        "Firefox", "asks permission before a site reaches devices on the local network or "
        "apps and services on this device (localhost)",
        "for Enhanced Tracking Protection 'Strict' users since Firefox 147, rolling out "
        "to everyone from Firefox 151; enterprise policy LocalNetworkAccess",
        "Mozilla Support, 'Control personal device and local network permissions in "
        "Firefox'; mozilla/policy-templates pull request 1288 and release v7.11 "
        "(LocalNetworkAccess)",
        "every Firefox where the check is not yet on (see the permission in the site's "
        "settings); a granted permission; non-browser clients", "2026-12-07",
        "the rollout to everyone is gradual; the versions come from Mozilla's policy "
        "notes, not a release note checked here", True),
    BrowserChange(
        "Safari", "no shipped block of requests to 0.0.0.0 or localhost found",
        "unknown",
        "WebKit's Local Network Access work was an open pull request (WebKit/WebKit 63281, "
        "2026-04); WebKit blocks plain-HTTP loads from localhost on HTTPS pages as mixed "
        "content (WebKit bug 171934)",
        "treat a page as able to reach this machine's loopback", "2026-12-07",
        "press reports of a Safari 18 block of 0.0.0.0 (2024) cite WebKit's position on "
        "Private Network Access (WebKit/standards-positions issue 163), not a release "
        "note", True),
)
