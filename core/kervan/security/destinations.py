"""Where a connection may send its secrets.

A connection's destination fields (``base_url``, ``endpoint``; see
:meth:`kervan.settings.ConnectorSettings.destination_fields`) decide which host receives its
API key, password or token. Left open, a tenant admin could point a stored credential at a
host of their own (and read it from the ``Authorization`` header), or at an address inside
our network (SSRF). The policy:

- **production** (the default): ``https`` only; the host must be one the connector declares
  (``Settings.allowed_hosts``: the official host and the remote's own test host) or one the
  platform allows (``KERVAN_ALLOWED_HOSTS``); a host that is not the connector's own is
  resolved, and every address it resolves to must be public (not private, loopback,
  link-local, multicast, reserved or unspecified) unless it lies in ``KERVAN_ALLOWED_NETWORKS``
  (an on-premises ERP, say). A literal IP address is judged the same way.
- **sandbox** / **development** (``KERVAN_MODE``): any host and ``http`` are allowed, so tests
  and ``kervan demo`` reach sandboxes served on loopback.
- In every mode a URL carrying a user name or password (``https://user:pass@host``) is refused:
  credentials belong in secret fields, never in a URL that is stored and shown.

The check runs when a connection is saved and again whenever a connector instance is built
from it, so a later DNS change or a narrowed allowlist takes effect at the next build. It
cannot pin the address an HTTP client later connects to: a name that resolves to a public
address at the check and to a private one a moment later (DNS rebinding) is not caught here.
Only hosts outside the connector's own list are exposed to that, and only when a platform
admin has allowed them; an egress firewall in front of the workers is the complete answer.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..errors import InvalidInputError

PRODUCTION, SANDBOX, DEVELOPMENT = "production", "sandbox", "development"
MODES = (PRODUCTION, SANDBOX, DEVELOPMENT)
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6); raises ``OSError`` if none."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def host_matches(host: str, patterns: Iterable[str]) -> bool:
    """``host`` equals a pattern, or a ``*.domain`` pattern covers it (not ``domain`` itself)."""
    host = host.lower().rstrip(".")
    for pattern in patterns:
        pattern = pattern.strip().lower().rstrip(".")
        if not pattern:
            continue
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]):
                return True
        elif host == pattern:
            return True
    return False


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (value or "").split(",") if p.strip())


@dataclass(frozen=True)
class DestinationPolicy:
    """The platform's rules for destination fields (see the module doc)."""

    mode: str = PRODUCTION
    #: host names (or ``*.domain``) allowed for every connector, besides its own
    allowed_hosts: tuple[str, ...] = ()
    #: networks an allowed host may resolve into even though they are not public
    allowed_networks: tuple[IPNetwork, ...] = ()
    resolve: Callable[[str, int], list[str]] = resolve_host

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"KERVAN_MODE must be one of {', '.join(MODES)}, not {self.mode!r}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **kw: Any) -> DestinationPolicy:
        """``KERVAN_MODE``, ``KERVAN_ALLOWED_HOSTS`` and ``KERVAN_ALLOWED_NETWORKS``
        (comma-separated; networks in CIDR form, e.g. ``10.20.0.0/16``)."""
        env = os.environ if env is None else env
        try:
            networks = tuple(
                ipaddress.ip_network(n, strict=False)
                for n in _split(env.get("KERVAN_ALLOWED_NETWORKS"))
            )
        except ValueError as exc:
            raise ValueError(f"KERVAN_ALLOWED_NETWORKS: {exc}") from None
        return cls(
            mode=(env.get("KERVAN_MODE") or PRODUCTION).strip().lower(),
            allowed_hosts=_split(env.get("KERVAN_ALLOWED_HOSTS")),
            allowed_networks=networks,
            **kw,
        )

    @property
    def relaxed(self) -> bool:
        """Sandbox or development mode: any host, plain http and private addresses."""
        return self.mode != PRODUCTION

    def problem(self, url: str, connector_hosts: Iterable[str]) -> str | None:
        """Why ``url`` may not receive the connection's secrets, or ``None`` if it may."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            return f"not a valid URL ({exc})"
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host:
            return "must be an http(s) URL with a host"
        if parts.username is not None or parts.password is not None:
            return "must not carry a user name or password: put credentials in their fields"
        if self.relaxed:
            return None
        if parts.scheme != "https":
            return "must use https outside sandbox and development mode"
        own = host_matches(host, connector_hosts)
        literal = _ip(host)
        if literal is not None:
            return self._address_problem(host, [literal])
        if not own and not host_matches(host, self.allowed_hosts):
            allowed = ", ".join(connector_hosts) or "none declared"
            return (
                f"host {host} is not one this connector sends to ({allowed}); a platform "
                "admin can allow it in KERVAN_ALLOWED_HOSTS"
            )
        if own:
            return None  # the remote's own names: trusted, and not ours to resolve offline
        try:
            addresses = [
                ipaddress.ip_address(a.split("%")[0]) for a in self.resolve(host, port or 443)
            ]
        except (OSError, ValueError) as exc:
            return f"host {host} does not resolve ({exc})"
        if not addresses:
            return f"host {host} does not resolve"
        return self._address_problem(host, addresses)

    def _address_problem(self, host: str, addresses: list[IPAddress]) -> str | None:
        for address in addresses:
            if address.is_global and not address.is_multicast:
                continue
            if any(address in net for net in self.allowed_networks):
                continue
            return (
                f"host {host} is at {address}, a private, loopback, link-local or reserved "
                "address, refused outside sandbox and development mode (a platform admin can "
                "allow a network in KERVAN_ALLOWED_NETWORKS)"
            )
        return None

    def errors(
        self, destinations: Mapping[str, str], connector_hosts: Iterable[str]
    ) -> list[dict[str, Any]]:
        """``{loc, msg, type}`` for each destination field that is refused."""
        hosts = tuple(connector_hosts)
        out = []
        for name, url in destinations.items():
            why = self.problem(url, hosts)
            if why is not None:
                out.append({"loc": [name], "msg": why, "type": "destination_refused"})
        return out

    def require(self, destinations: Mapping[str, str], connector_hosts: Iterable[str]) -> None:
        """Raise :class:`InvalidInputError` naming every refused destination field."""
        errors = self.errors(destinations, connector_hosts)
        if errors:
            raise InvalidInputError(
                "destination refused: " + "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in errors),
                errors=errors,
            )


def _ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None
