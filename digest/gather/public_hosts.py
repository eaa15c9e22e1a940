"""Only public addresses: a URL an editor pastes (or a bookmarklet sends) must not make digest ask
the machines behind the firewall (the router's admin page, a cloud's metadata service at
169.254.169.254, a database on localhost) for a page and keep what they answer.

The check is an httpx request hook, so it runs on the first request and again on every redirect
hop: a public page that redirects to http://127.0.0.1/ is refused at the hop. The host is resolved
here and every address it resolves to must be global; a host that resolves to a private address
only some of the time is still refused whenever it does. The hook's lookup and the connection's
are two lookups, so a DNS answer that changes between them (rebinding) could still reach a private
address: `check_peer` checks the address each connection actually reached, before a byte of
the request is sent.
"""

from __future__ import annotations

import ipaddress
import socket

import httpcore
import httpx

from digest.errors import SourceError


class PrivateAddressError(SourceError):
    """A URL whose host is (or resolves to) a loopback, private, link-local, multicast or reserved address."""


def _kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """What sort of non-public address this is, in words ("" for a public one)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _kind(address.ipv4_mapped)
    checks = (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved or address.is_unspecified),
        ("private", address.is_private),
        ("reserved", not address.is_global),  # shared (carrier-grade NAT), documentation, ...
    )
    return next((name for name, hit in checks if hit), "")


def _addresses(host: str, port: int) -> list[str]:
    try:
        return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
    except (OSError, UnicodeError) as e:
        raise SourceError(f"cannot resolve {host}: {e}") from None


def check_public_host(host: str, port: int = 443) -> None:
    """Refuse a host that is, or resolves to, an address that is not public."""
    for text in _addresses(host.strip("[]"), port):
        kind = _kind(ipaddress.ip_address(text.split("%", 1)[0]))
        if kind:
            shown = host if host == text else f"{host} ({text})"
            raise PrivateAddressError(
                f"refused: {shown} is a {kind} address; allow it with --allow-private "
                "or [desk] allow_private_urls = true"
            )


def refuse_private_hosts(request: httpx.Request) -> None:
    """An httpx request hook: runs before the first request and before each redirect hop."""
    check_public_host(request.url.host, request.url.port or (443 if request.url.scheme == "https" else 80))


def _refused_peer(address: str) -> str:
    """What sort of non-public address a connection reached, in words ("" for a public one)."""
    return _kind(ipaddress.ip_address(address.split("%", 1)[0]))


def check_peer(stream: httpcore.NetworkStream, host: str) -> None:
    """Close and refuse a connection whose peer is not a public address (called right after the
    connect, before a byte of the request is sent)."""
    peer = stream.get_extra_info("server_addr")
    kind = _refused_peer(str(peer[0])) if peer else "unknown"
    if kind:
        stream.close()
        raise PrivateAddressError(
            f"refused: {host} connected to {peer[0] if peer else 'an unknown peer'}, a {kind} address; "
            "allow it with --allow-private or [desk] allow_private_urls = true"
        )
