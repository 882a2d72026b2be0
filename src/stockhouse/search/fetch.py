"""Fetching an image from a URL a user gave (search by image), guarded against SSRF.

A URL typed by a stranger must not make the server reach into its own network. So:
only http and https; the host is resolved here and every address it resolves to must be
public (not private, loopback, link-local, multicast, reserved, unspecified or shared,
in IPv4 or IPv6, including IPv4 addresses embedded in IPv6) unless it lies in an
allowlisted network; the connection then goes to the address that was checked, never
to a second lookup of the name (no DNS rebinding); redirects are followed by hand, each
hop checked again, at most MAX_REDIRECTS; the body is streamed and cut off past
`max_bytes` or the time limit; and it must start like an image.

The allowlist comes from the caller (the API reads `fetch_allowlist` from the settings).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from stockhouse.catalog.limits import PayloadTooLarge
from stockhouse.errors import InvalidParameter

MAX_IMAGE_BYTES = 20 * 1024 * 1024
FETCH_TIMEOUT_S = 10.0  # the whole fetch: every hop, headers and body
CONNECT_TIMEOUT_S = 5.0
MAX_REDIRECTS = 3
MAX_URL_LENGTH = 2048
CHUNK_BYTES = 64 * 1024
ALLOWED_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "Stockhouse image search"
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")
# Magic numbers of the still images search by image decodes.
IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")
MAGIC_BYTES = 12

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class FetchRefused(InvalidParameter):
    """The URL may not or could not be fetched; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__("url", message)


@dataclass(frozen=True)
class FetchedImage:
    """The bytes of a fetched image and the URL they finally came from."""

    content: bytes
    url: str


def parse_allowlist(entries: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Networks (`10.1.2.0/24`, `127.0.0.1`, `::1`) that may be fetched although private."""
    try:
        return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)
    except ValueError as exc:
        raise ValueError(f"not a network in the fetch allowlist: {exc}") from None


def looks_like_image(head: bytes) -> bool:
    """Whether the first bytes are those of a JPEG, PNG, GIF or WebP image."""
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return True
    return head.startswith(IMAGE_SIGNATURES)


# -- which addresses may be reached ------------------------------------------------------


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64_PREFIX:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """Whether `address` is a globally routable unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None and not is_public(embedded):
            return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def is_allowed(address: IPAddress, allowlist: tuple[IPNetwork, ...]) -> bool:
    if any(address.version == net.version and address in net for net in allowlist):
        return True
    return is_public(address)


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` stands for (an IP literal stands for itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise FetchRefused(f"the host {host!r} could not be resolved") from None
    # getaddrinfo accepts decimal, octal and hex IPv4 forms; what it returns is checked.
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))


@dataclass(frozen=True)
class Target:
    """One checked hop: the URL to request (host replaced by the checked address)."""

    url: httpx.URL
    host_header: str
    server_name: str  # for TLS: SNI and certificate checks use the name, not the address


def check_url(raw: str, allowlist: tuple[IPNetwork, ...]) -> Target:
    """Parse `raw`, resolve its host and refuse it unless every address is allowed."""
    if len(raw) > MAX_URL_LENGTH:
        raise FetchRefused(f"the URL is longer than {MAX_URL_LENGTH} characters")
    try:
        url = httpx.URL(raw)
    except (httpx.InvalidURL, ValueError, TypeError):
        raise FetchRefused("this is not a valid URL") from None
    if url.scheme not in ALLOWED_SCHEMES:
        raise FetchRefused("only http and https URLs can be fetched")
    if url.userinfo:
        raise FetchRefused("URLs with a user name or password are not fetched")
    host = url.raw_host.decode("ascii", errors="replace")
    if not host:
        raise FetchRefused("the URL has no host")
    port = url.port or DEFAULT_PORTS[url.scheme]
    addresses = resolve(host, port)
    if not addresses or not all(is_allowed(a, allowlist) for a in addresses):
        raise FetchRefused(
            "the URL points to a private, local or reserved address, which is not fetched"
        )
    address = addresses[0]
    host_header = host if url.port is None else f"{host}:{url.port}"
    if ":" in host and not host.startswith("["):
        host_header = f"[{host}]" if url.port is None else f"[{host}]:{url.port}"
    return Target(url.copy_with(host=str(address)), host_header, host)


# -- fetching ------------------------------------------------------------------------------


def fetch_image(
    url: str,
    *,
    allowlist: Iterable[str] = (),
    max_bytes: int = MAX_IMAGE_BYTES,
    timeout_s: float = FETCH_TIMEOUT_S,
) -> FetchedImage:
    """The image at `url`, fetched under the rules of this module's docstring.

    Raises FetchRefused (invalid_parameter on `url`) or PayloadTooLarge.
    """
    networks = parse_allowlist(allowlist)
    deadline = time.monotonic() + timeout_s
    timeout = httpx.Timeout(timeout_s, connect=min(CONNECT_TIMEOUT_S, timeout_s))
    current = url
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            target = check_url(current, networks)
            location = _get(client, target, max_bytes, deadline)
            if isinstance(location, bytes):
                return FetchedImage(content=location, url=current)
            current = location
    raise FetchRefused(f"the URL redirects more than {MAX_REDIRECTS} times")


def _get(client: httpx.Client, target: Target, max_bytes: int, deadline: float) -> bytes | str:
    """The body of one hop, or the absolute URL it redirects to."""
    headers = {"Host": target.host_header, "User-Agent": USER_AGENT, "Accept": "image/*"}
    extensions = {"sni_hostname": target.server_name} if target.url.scheme == "https" else {}
    try:
        with client.stream("GET", target.url, headers=headers, extensions=extensions) as response:
            if response.status_code in REDIRECT_STATUSES:
                return _redirect_target(response, target)
            if response.status_code != httpx.codes.OK:
                raise FetchRefused(f"the server answered HTTP {response.status_code}")
            return _read_image(response, max_bytes, deadline)
    except httpx.HTTPError as exc:
        raise FetchRefused(f"the image could not be fetched ({type(exc).__name__})") from None


def _redirect_target(response: httpx.Response, target: Target) -> str:
    location = response.headers.get("location", "").strip()
    if not location:
        raise FetchRefused("the server redirected without saying where to")
    # Relative to the URL as the user gave it (with its host name, not the address).
    original = target.url.copy_with(host=target.server_name)
    try:
        return str(original.join(location))
    except (httpx.InvalidURL, ValueError):
        raise FetchRefused("the server redirected to an invalid URL") from None


def _read_image(response: httpx.Response, max_bytes: int, deadline: float) -> bytes:
    """The body, streamed: cut off past max_bytes or the deadline; refused unless an image."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge("the image at the URL", max_bytes)
    received = bytearray()
    checked = False
    for chunk in response.iter_bytes(CHUNK_BYTES):
        received += chunk
        if len(received) > max_bytes:
            raise PayloadTooLarge("the image at the URL", max_bytes)
        if time.monotonic() > deadline:
            raise FetchRefused("fetching the image took too long")
        if not checked and len(received) >= MAGIC_BYTES:
            _check_image(bytes(received[:MAGIC_BYTES]))  # give up early on a non-image
            checked = True
    _check_image(bytes(received[:MAGIC_BYTES]))
    return bytes(received)


def _check_image(head: bytes) -> None:
    if not looks_like_image(head):
        raise FetchRefused("the URL does not point to a JPEG, PNG, GIF or WebP image")
