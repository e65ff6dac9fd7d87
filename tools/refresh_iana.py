"""Maintainer tooling, not part of the installed package: download fresh copies of the
IANA special-purpose address registries into the checkout's loopedu/data/.

    python tools/refresh_iana.py            # download, check, rewrite the files
    python tools/refresh_iana.py --dry-run  # download and check, write nothing

Fetches the IPv4 and IPv6 registry CSVs (and their XML versions, for the registry's
"Last Updated" date) from iana.org with the standard library, parses them with the parser
``loopedu.addresses`` uses, and only when both parse rewrites the CSV files (bytes as
served) and the metadata table in SOURCES.md. Offline, it prints one line and changes
nothing. See SOURCES.md for what to do after a refresh.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import os
import re
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's loopedu
from loopedu import addresses  # noqa: E402

#: The checkout's data folder (never an installed package's: it writes only here).
DATA_DIR = Path(__file__).resolve().parents[1] / "loopedu" / "data"
USER_AGENT = "loopedu-refresh (https://www.iana.org/assignments/ registry refresh)"
_BEGIN, _END = addresses.SOURCES_BEGIN, addresses.SOURCES_END


class RefreshError(Exception):
    """A download or check failed; the message is one line for the user."""


def fetch(url: str, timeout: float = 30.0) -> bytes:
    """The body at ``url``, or RefreshError with a one-line reason."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        raise RefreshError(f"{url} answered HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise RefreshError(f"cannot reach {url.split('/')[2]} ({reason})") from None


def updated_date(xml: bytes) -> str | None:
    """The registry's "Last Updated" date, from the ``<updated>`` element of its XML."""
    m = re.search(rb"<updated>\s*(\d{4}-\d{2}-\d{2})\s*</updated>", xml)
    return m[1].decode() if m else None


def check_csv(body: bytes, registry_name: str) -> list[addresses.SpecialPurpose]:
    """Parse a downloaded CSV; RefreshError if it is not a registry we can read."""
    try:
        entries = addresses.parse_registry_csv(body.decode("utf-8"), registry_name)
    except (UnicodeDecodeError, ValueError) as exc:
        raise RefreshError(f"the {registry_name} registry CSV did not parse: {exc}") from None
    loopback = "127.0.0.0/8" if registry_name == "IPv4" else "::1/128"
    if not any(str(e.network) == loopback for e in entries):
        raise RefreshError(f"the {registry_name} registry CSV has no {loopback} row; "
                           "not replacing the shipped copy")
    return entries


def metadata_table(rows: list[dict[str, str]]) -> str:
    """The SOURCES.md metadata block (markers included) for ``rows``."""
    columns = ("registry", "file", "last_updated", "retrieved", "sha256")
    lines = [_BEGIN, "| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(row[c] for c in columns) + " |" for row in rows]
    return "\n".join(lines + [_END])


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def refresh(data_dir: Path = DATA_DIR, dry_run: bool = False, timeout: float = 30.0,
            opener=fetch, today: str | None = None) -> list[str]:
    """Download, check and (unless ``dry_run``) write both registries; return report lines.

    ``opener(url, timeout)`` returns bytes; tests pass a fake one. Nothing is written
    unless both registries downloaded and parsed.
    """
    today = today or datetime.date.today().isoformat()
    downloads, report = {}, []
    for name, meta in addresses.REGISTRIES.items():
        body = opener(meta["csv_url"], timeout)
        entries = check_csv(body, name)
        try:
            updated = updated_date(opener(meta["xml_url"], timeout)) or "unknown"
        except RefreshError as exc:
            updated = "unknown"
            report.append(f"{name}: no Last Updated date ({exc})")
        downloads[name] = (body, entries, updated)
    rows = []
    for name, (body, entries, updated) in downloads.items():
        meta = addresses.REGISTRIES[name]
        path = data_dir / meta["file"]
        old = set()
        if path.exists():
            try:
                old = {str(e.network) for e in addresses.parse_registry_csv(
                    path.read_bytes().decode("utf-8"), name)}
            except ValueError:
                pass
        new = {str(e.network) for e in entries}
        unknown = sorted({n.marker for e in entries for n in e.footnotes
                          if (name, n.marker) not in addresses.FOOTNOTES})
        report.append(f"{name}: {len(entries)} blocks, last updated {updated}; "
                      f"added {sorted(new - old) or 'none'}, removed {sorted(old - new) or 'none'}")
        if unknown:
            report.append(f"{name}: WARNING footnote markers {unknown} have no text in "
                          "loopedu.addresses.FOOTNOTES (loopedu/addresses/registries.py): "
                          "copy them from " + meta["page_url"])
        rows.append({"registry": name, "file": meta["file"], "last_updated": updated,
                     "retrieved": today, "sha256": hashlib.sha256(body).hexdigest()})
    if dry_run:
        return report + ["dry run: nothing written"]
    sources = data_dir / "SOURCES.md"
    text = sources.read_text(encoding="utf-8") if sources.exists() else f"{_BEGIN}\n{_END}\n"
    if _BEGIN not in text or _END not in text:
        raise RefreshError(f"{sources} has no registry-metadata markers; not writing")
    head, rest = text.split(_BEGIN, 1)
    tail = rest.split(_END, 1)[1]
    for name, (body, _, _) in downloads.items():
        _write_atomic(data_dir / addresses.REGISTRIES[name]["file"], body)
    _write_atomic(sources, (head + metadata_table(rows) + tail).encode("utf-8"))
    return report + [f"wrote {', '.join(r['file'] for r in rows)} and SOURCES.md in {data_dir}"]


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m loopedu.data.refresh",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="download and check only")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per download")
    args = parser.parse_args(argv)
    try:
        lines = refresh(args.data_dir, dry_run=args.dry_run, timeout=args.timeout)
    except RefreshError as exc:
        print(f"refresh: {exc}; nothing was changed (offline? see loopedu/data/SOURCES.md)",
              file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
