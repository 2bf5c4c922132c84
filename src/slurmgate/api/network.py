"""Who is the client, and may it use the gateway: allow-list and trusted proxies.

The client is the connection's peer, unless the peer is a trusted proxy: then it is the
right-most address of ``X-Forwarded-For`` that is not itself a trusted proxy. Addresses left of
that one were written by the client and prove nothing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from slurmgate.domain.errors import ConfigError

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: The client address of a connection on the unix socket, which has no network address.
UNIX_CLIENT = "unix"


class ClientNetworks:
    """The ``network.allow`` and ``network.trusted_proxies`` settings, parsed once."""

    def __init__(self, allow: Iterable[str], trusted_proxies: Iterable[str]) -> None:
        proxies = list(trusted_proxies)
        self._allow = _networks(allow, "network.allow")
        self._trust_unix = UNIX_CLIENT in proxies
        self._proxies = _networks(
            (p for p in proxies if p != UNIX_CLIENT), "network.trusted_proxies"
        )

    @property
    def restricted(self) -> bool:
        return bool(self._allow)

    def client_address(self, peer: str | None, forwarded_for: Sequence[str]) -> str:
        """The client's address for a connection from ``peer`` (None: the unix socket)."""
        if peer is None or peer == "":
            if not self._trust_unix:
                return UNIX_CLIENT
            address = UNIX_CLIENT
        else:
            parsed = _address(peer)
            if parsed is None or not self._is_proxy(parsed):
                return str(parsed) if parsed is not None else peer
            address = str(parsed)
        chain = [hop.strip() for value in forwarded_for for hop in value.split(",")]
        for hop in reversed(chain):
            if not hop:
                continue
            parsed = _address(hop)
            if parsed is None:
                return hop  # not an address: matches no network, so an allow-list refuses it
            address = str(parsed)
            if not self._is_proxy(parsed):
                return address
        return address

    def allowed(self, address: str) -> bool:
        """Whether ``address`` may use the gateway; the unix socket is guarded by its mode."""
        if not self._allow or address == UNIX_CLIENT:
            return True
        parsed = _address(address)
        return parsed is not None and any(parsed in network for network in self._allow)

    def _is_proxy(self, address: IPAddress) -> bool:
        return any(address in network for network in self._proxies)


def _networks(entries: Iterable[str], setting: str) -> list[IPNetwork]:
    networks: list[IPNetwork] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ConfigError(f"invalid settings: {setting}: {entry!r} is not a network") from None
    return networks


def _address(text: str) -> IPAddress | None:
    """An IP address, also from ``1.2.3.4:80`` and ``[::1]:80``; IPv4-mapped IPv6 as IPv4."""
    candidate = text.strip()
    if candidate.startswith("["):
        candidate = candidate[1:].partition("]")[0]
    elif candidate.count(":") == 1:
        candidate = candidate.partition(":")[0]
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
