//! The guard against server-side request forgery: a webhook may only reach the public internet,
//! never this machine, its private network or a cloud's metadata service.
//!
//! The check runs twice: on the url when an endpoint is created ([`check_url`]), and on every
//! address actually connected to (the client's resolver, `client.rs`), because a name can be
//! made to resolve elsewhere between the two.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use ipnet::{Ipv4Net, Ipv6Net};
use url::{Host, Url};

/// The longest url an endpoint may have.
pub const MAX_URL_CHARS: usize = 2_048;

/// How long a name may take to resolve: a resolver that never answers must not hold a request.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(10);

/// IPv4 ranges that are not the public internet (IANA's special-purpose registry), the most
/// specific first, each with the words a refusal uses.
const NOT_PUBLIC_V4: &[(Ipv4Net, &str)] = &[
    (v4(0, 0, 0, 0, 32), "an unspecified address"),
    (v4(0, 0, 0, 0, 8), "a reserved address"),
    (v4(10, 0, 0, 0, 8), "a private address"),
    (
        v4(100, 64, 0, 0, 10),
        "a shared (carrier-grade NAT) address",
    ),
    (v4(127, 0, 0, 0, 8), "a loopback address"),
    (v4(169, 254, 0, 0, 16), "a link-local address"),
    (v4(172, 16, 0, 0, 12), "a private address"),
    (v4(192, 0, 0, 0, 24), "a reserved address"),
    (v4(192, 0, 2, 0, 24), "a documentation address"),
    (v4(192, 88, 99, 0, 24), "a reserved address"),
    (v4(192, 168, 0, 0, 16), "a private address"),
    (v4(198, 18, 0, 0, 15), "a benchmarking address"),
    (v4(198, 51, 100, 0, 24), "a documentation address"),
    (v4(203, 0, 113, 0, 24), "a documentation address"),
    (v4(224, 0, 0, 0, 4), "a multicast address"),
    (v4(255, 255, 255, 255, 32), "a broadcast address"),
    (v4(240, 0, 0, 0, 4), "a reserved address"),
];

/// IPv6 ranges inside the global unicast block (2000::/3) that are not the public internet;
/// everything outside that block is refused as reserved, once the forms that embed an IPv4
/// address have been judged by it.
const NOT_PUBLIC_V6: &[(Ipv6Net, &str)] = &[
    (v6([0x2001, 0xdb8, 0, 0], 32), "a documentation address"),
    (v6([0x3fff, 0, 0, 0], 20), "a documentation address"),
    (v6([0x2001, 0x2, 0, 0], 48), "a benchmarking address"),
    // Teredo (2001::/32) and the ORCHID identifiers: tunnels and names, not hosts to call.
    (v6([0x2001, 0, 0, 0], 32), "a reserved address"),
    (v6([0x2001, 0x10, 0, 0], 28), "a reserved address"),
    (v6([0x2001, 0x20, 0, 0], 28), "a reserved address"),
    (v6([0xfe80, 0, 0, 0], 10), "a link-local address"),
    (v6([0xfec0, 0, 0, 0], 10), "a private address"),
    (v6([0xfc00, 0, 0, 0], 7), "a private address"),
    (v6([0xff00, 0, 0, 0], 8), "a multicast address"),
];

const GLOBAL_UNICAST_V6: Ipv6Net = v6([0x2000, 0, 0, 0], 3);
const NAT64_V6: Ipv6Net = v6([0x64, 0xff9b, 0, 0], 96);
const SIX_TO_FOUR_V6: Ipv6Net = v6([0x2002, 0, 0, 0], 16);

const fn v4(a: u8, b: u8, c: u8, d: u8, prefix: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), prefix)
}

const fn v6(head: [u16; 4], prefix: u8) -> Ipv6Net {
    let [a, b, c, d] = head;
    Ipv6Net::new_assert(Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0), prefix)
}

/// Whether `ip` is on the public internet, where a webhook may go.
pub fn is_public(ip: IpAddr) -> bool {
    not_public_kind(ip).is_none()
}

/// What kind of non-public address `ip` is ("a private address"), or `None` when it is public.
fn not_public_kind(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(ip) => NOT_PUBLIC_V4
            .iter()
            .find(|(net, _)| net.contains(&ip))
            .map(|(_, kind)| *kind),
        IpAddr::V6(ip) => {
            if ip.is_unspecified() {
                return Some("an unspecified address");
            }
            if ip.is_loopback() {
                return Some("a loopback address");
            }
            if let Some(embedded) = embedded_v4(ip) {
                return not_public_kind(IpAddr::V4(embedded));
            }
            let listed = NOT_PUBLIC_V6
                .iter()
                .find(|(net, _)| net.contains(&ip))
                .map(|(_, kind)| *kind);
            if listed.is_none() && !GLOBAL_UNICAST_V6.contains(&ip) {
                return Some("a reserved address");
            }
            listed
        }
    }
}

/// The IPv4 address that an IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`),
/// NAT64 (`64:ff9b::a.b.c.d`) or 6to4 (`2002:AABB:CCDD::`) address leads to: the one that
/// decides where a packet really goes.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(mapped) = ip.to_ipv4_mapped() {
        return Some(mapped);
    }
    let segments = ip.segments();
    let [.., w, x, y, z] = ip.octets();
    if segments[..6] == [0; 6] || NAT64_V6.contains(&ip) {
        return Some(Ipv4Addr::new(w, x, y, z));
    }
    if SIX_TO_FOUR_V6.contains(&ip) {
        let [p, q] = segments[1].to_be_bytes();
        let [r, s] = segments[2].to_be_bytes();
        return Some(Ipv4Addr::new(p, q, r, s));
    }
    None
}

/// Why an endpoint's url is refused, in the words of the API's users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefusal {
    /// Longer than [`MAX_URL_CHARS`].
    #[error("the url must be at most 2048 characters long")]
    TooLong,
    /// Not an absolute url.
    #[error("the url is not valid: {0}")]
    Invalid(#[from] url::ParseError),
    /// Not https (nor http, where private addresses are allowed).
    #[error("the url must use {allowed}")]
    Scheme {
        /// The schemes that are allowed, as words.
        allowed: &'static str,
    },
    /// No host to send to.
    #[error("the url must name a host")]
    NoHost,
    /// A user name or password in the url: it would travel in every request's line and logs.
    #[error("the url must not contain a user name or password")]
    Credentials,
    /// The host is a non-public IP address.
    #[error("the url's host is {kind} ({address}), which webhooks may not reach")]
    PrivateAddress {
        /// The address.
        address: IpAddr,
        /// What kind of address it is, with its article ("a loopback address").
        kind: &'static str,
    },
    /// The host's name resolves to a non-public IP address.
    #[error("the url's host resolves to {kind} ({address}), which webhooks may not reach")]
    ResolvesToPrivate {
        /// The first such address.
        address: IpAddr,
        /// What kind of address it is, with its article ("a private address").
        kind: &'static str,
    },
    /// The host's name does not resolve (or not in time).
    #[error("the url's host ({host}) could not be resolved")]
    Unresolvable {
        /// The name.
        host: String,
    },
}

/// Checks an endpoint's url when it is created or changed, resolving its host: https only, and
/// every address of the host public. With `allow_private` (development and tests), http and any
/// address are accepted and the host is not resolved.
pub async fn check_url(url: &str, allow_private: bool) -> Result<Url, UrlRefusal> {
    let url = check_url_form(url, allow_private)?;
    if allow_private {
        return Ok(url);
    }
    if let Some(Host::Domain(name)) = url.host() {
        let port = url.port_or_known_default().unwrap_or(443);
        for address in lookup(name, port).await? {
            if let Some(kind) = not_public_kind(address.ip()) {
                return Err(UrlRefusal::ResolvesToPrivate {
                    address: address.ip(),
                    kind,
                });
            }
        }
    }
    Ok(url)
}

/// Every check but resolving the host: its form, and an IP-literal host's address.
pub(super) fn check_url_form(url: &str, allow_private: bool) -> Result<Url, UrlRefusal> {
    if url.chars().count() > MAX_URL_CHARS {
        return Err(UrlRefusal::TooLong);
    }
    let url = Url::parse(url)?;
    match (url.scheme(), allow_private) {
        ("https", _) | ("http", true) => {}
        (_, false) => return Err(UrlRefusal::Scheme { allowed: "https" }),
        (_, true) => {
            return Err(UrlRefusal::Scheme {
                allowed: "https or http",
            })
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlRefusal::Credentials);
    }
    let address = match url.host() {
        None => return Err(UrlRefusal::NoHost),
        Some(Host::Domain(_)) => None,
        Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
    };
    if let (Some(address), false) = (address, allow_private) {
        if let Some(kind) = not_public_kind(address) {
            return Err(UrlRefusal::PrivateAddress { address, kind });
        }
    }
    Ok(url)
}

/// The addresses a connection to `host` may use: all of them with `allow_private`, otherwise
/// only the public ones, and a refusal when none is left.
pub(super) async fn reachable_addresses(
    host: &str,
    port: u16,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, UrlRefusal> {
    keep_reachable(lookup(host, port).await?, allow_private)
}

fn keep_reachable(
    addresses: Vec<SocketAddr>,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, UrlRefusal> {
    if allow_private {
        return Ok(addresses);
    }
    let refused = addresses
        .iter()
        .find_map(|address| not_public_kind(address.ip()).map(|kind| (address.ip(), kind)));
    let public: Vec<SocketAddr> = addresses
        .into_iter()
        .filter(|address| is_public(address.ip()))
        .collect();
    match (public.is_empty(), refused) {
        (true, Some((address, kind))) => Err(UrlRefusal::ResolvesToPrivate { address, kind }),
        _ => Ok(public),
    }
}

/// Resolves `host` with the system's resolver; no address, an error or no answer in time are
/// all a refusal.
async fn lookup(host: &str, port: u16) -> Result<Vec<SocketAddr>, UrlRefusal> {
    let unresolvable = || UrlRefusal::Unresolvable {
        host: host.to_owned(),
    };
    let addresses = tokio::time::timeout(LOOKUP_TIMEOUT, tokio::net::lookup_host((host, port)))
        .await
        .map_err(|_| unresolvable())?
        .map_err(|_| unresolvable())?
        .collect::<Vec<_>>();
    if addresses.is_empty() {
        return Err(unresolvable());
    }
    Ok(addresses)
}

#[cfg(test)]
mod tests;
