"""Which addresses Tagstory may fetch from: one policy for every network request it makes.

A fetch goes only to public addresses: loopback, private, link-local (169.254.169.254),
shared, multicast, reserved and unspecified addresses are refused, also when written in
another spelling (`127.1`, `2130706433`, `0x7f000001`, `[::ffff:127.0.0.1]`) or reached
through a name. A name is refused when ANY address it resolves to is refused, and the
address a connection actually reached is checked again before a byte is sent, so neither
a redirect nor a name that changes its answer (DNS rebinding) gets around the policy.
`allow_private` (the setting FETCH_ALLOW_PRIVATE) lifts it, for tests and intranets.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LEGACY_IPV4 = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$", re.IGNORECASE)


class AddressRefused(ValueError):
    """A fetch the address policy refuses; the message names the host and why."""


def allow_private(settings: Mapping[str, Any]) -> bool:
    """Whether the settings allow private addresses (FETCH_ALLOW_PRIVATE)."""
    return bool(settings["FETCH_ALLOW_PRIVATE"])


def _embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: Address) -> str | None:
    """Why `address` may not be fetched from, or None when it is a public address."""
    inner = _embedded_ipv4(address)
    if inner is not None and refusal(inner):
        return f"{refusal(inner)} inside {address}"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private or not address.is_global:
        return "a private address"
    return None


def literal_address(host: str) -> Address | None:
    """The address `host` spells, in any form a resolver accepts (`127.1`, `0x7f000001`), or None."""
    bare = host.strip().strip("[]").split("%")[0].rstrip(".")
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    if _LEGACY_IPV4.match(bare):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(bare))
        except OSError:
            return None
    return None


def plainly_refused(host: str, settings: Mapping[str, Any]) -> str | None:
    """Why `host` is refused without resolving it (a literal address, `localhost`), or None."""
    if allow_private(settings):
        return None
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return f"{host} is a loopback name; refused"
    address = literal_address(name)
    reason = refusal(address) if address is not None else None
    return f"{host} is {reason} ({address}); refused" if reason else None


def check_host(host: str, port: int, allowed_private: bool) -> list[Address]:
    """Every address `host` resolves to; AddressRefused when any of them is refused.

    A name that does not resolve is no refusal: the connection then fails as unreachable.
    """
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return []
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))
    if not allowed_private:
        for address in addresses:
            reason = refusal(address)
            if reason:
                raise AddressRefused(f"{host} resolves to {reason} ({address}); refused")
    return addresses


def check_url(url: str, allowed_private: bool) -> None:
    """AddressRefused unless `url` is http(s)/ws(s) with a host whose every address is allowed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.hostname:
        raise AddressRefused(f"{url} is not an http(s) or ws(s) URL")
    try:
        port = parts.port or (443 if parts.scheme in ("https", "wss") else 80)
    except ValueError as error:
        raise AddressRefused(f"{url} has an invalid port") from error
    check_host(parts.hostname, port, allowed_private)


def check_peer(sock: socket.socket, host: str, allowed_private: bool) -> None:
    """Close `sock` and raise AddressRefused when the address it reached is refused."""
    if allowed_private:
        return
    peer = ipaddress.ip_address(sock.getpeername()[0].split("%")[0])
    reason = refusal(peer)
    if reason:
        sock.close()
        raise AddressRefused(f"{host} connected to {reason} ({peer}); refused")


def open_socket(url: str, timeout: float, allowed_private: bool) -> socket.socket:
    """A TCP (and for https/wss, TLS) connection to `url`'s host, within the policy."""
    check_url(url, allowed_private)
    parts = urlsplit(url)
    secure = parts.scheme in ("https", "wss")
    host = parts.hostname or ""
    sock = socket.create_connection((host, parts.port or (443 if secure else 80)), timeout=timeout)
    check_peer(sock, host, allowed_private)
    if secure:
        sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
    return sock


class _Guarded:
    """Checks a connection's host before connecting and the address it reached after."""

    allowed_private: bool

    def __init__(self, *args: Any, allowed_private: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allowed_private = allowed_private

    def _new_conn(self) -> socket.socket:
        host = self._dns_host  # type: ignore[attr-defined]
        check_host(host, self.port, self.allowed_private)  # type: ignore[attr-defined]
        sock = super()._new_conn()  # type: ignore[misc]
        check_peer(sock, host, self.allowed_private)
        return sock


class _GuardedHTTPConnection(_Guarded, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_Guarded, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection  # type: ignore[assignment]


class _GuardedPoolManager(PoolManager):
    def __init__(self, *args: Any, allowed_private: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allowed_private = allowed_private
        self.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}

    def _new_pool(self, scheme: str, host: str, port: int, request_context: Any = None) -> Any:
        pool = super()._new_pool(scheme, host, port, request_context)
        pool.conn_kw["allowed_private"] = self.allowed_private
        return pool


class GuardedAdapter(HTTPAdapter):
    """A requests adapter that sends each request (and each redirect hop) only within the policy."""

    def __init__(self, allowed_private: bool = False, **kwargs: Any) -> None:
        self.allowed_private = allowed_private
        super().__init__(**kwargs)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        self.poolmanager = _GuardedPoolManager(
            num_pools=connections,
            maxsize=maxsize,
            block=block,
            allowed_private=self.allowed_private,
            **pool_kwargs,
        )

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        check_url(request.url or "", self.allowed_private)  # also guards a request sent through a proxy
        return super().send(request, **kwargs)


def guard(session: requests.Session, allowed_private: bool) -> requests.Session:
    """Mount the policy on `session` for http and https; returns the session."""
    for prefix in ("http://", "https://"):
        session.mount(prefix, GuardedAdapter(allowed_private))
    return session


def guarded_session(settings: Mapping[str, Any]) -> requests.Session:
    """A requests session whose every request follows the policy of `settings`."""
    return guard(requests.Session(), allow_private(settings))
