//! The client's network address, as the flows audit and throttle it, and which proxies
//! may speak for it.
//!
//! - Throttling subject: an IPv4 address as it is; an IPv6 address by its /64 prefix,
//!   since one subscriber usually holds a whole /64 (RFC 6177, RFC 7934 §4) and could
//!   otherwise rotate through 2^64 addresses to dodge the per-address limits.
//!   IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) count as the IPv4 address.
//! - Audit: the full address.
//! - `X-Forwarded-For` is believed only when the connection comes from an address in
//!   the `trusted_proxies` variable (a CIDR list, empty by default); then the client is
//!   the right-most hop that is not itself a trusted proxy (the left-most entries are
//!   whatever the client chose to send).

use core::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(IpAddr);

impl ClientAddress {
    /// Parse an IP address (`192.0.2.1`, `2001:db8::1`, `[2001:db8::1]`); `None` for
    /// anything else.
    pub fn parse(text: &str) -> Option<ClientAddress> {
        let text = text.trim();
        let text = text
            .strip_prefix('[')
            .and_then(|t| t.strip_suffix(']'))
            .unwrap_or(text);
        text.parse::<IpAddr>().ok().map(ClientAddress::from)
    }

    /// The address.
    pub fn ip(&self) -> IpAddr {
        self.0
    }

    /// The address as text, as [`fmt::Display`] writes it (IPv4 dotted decimal,
    /// `192.0.2.1`; IPv6 as RFC 5952 §4 recommends). An IPv4 address is written octet by
    /// octet: through `Display` it costs ~4 k instructions in the component, and a
    /// sign-in writes it twice (throttle subject, audit event).
    pub fn text(&self) -> String {
        match self.0 {
            IpAddr::V4(v4) => ipv4_text(v4),
            IpAddr::V6(v6) => v6.to_string(),
        }
    }

    /// What the per-address limits count under: the IPv4 address, or the IPv6 /64
    /// written as `2001:db8:1:2::/64`.
    pub fn throttle_subject(&self) -> String {
        match self.0 {
            IpAddr::V4(v4) => ipv4_text(v4),
            IpAddr::V6(v6) => {
                let s = v6.segments();
                let prefix = Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{prefix}/64")
            }
        }
    }
}

/// `a.b.c.d` (RFC 791's dotted decimal, as `Ipv4Addr`'s `Display`).
fn ipv4_text(v4: Ipv4Addr) -> String {
    let mut text = String::with_capacity("255.255.255.255".len());
    for (index, octet) in v4.octets().into_iter().enumerate() {
        if index > 0 {
            text.push('.');
        }
        text.push_str(itoa::Buffer::new().format(octet));
    }
    text
}

impl From<IpAddr> for ClientAddress {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientAddress(IpAddr::V4(v4)),
                None => ClientAddress(IpAddr::V6(v6)),
            },
            v4 => ClientAddress(v4),
        }
    }
}

impl fmt::Display for ClientAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One CIDR block (`10.0.0.0/8`, `2001:db8::/32`, or a bare address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    base: IpAddr,
    bits: u8,
}

impl Cidr {
    fn parse(text: &str) -> Option<Cidr> {
        let (addr, bits) = match text.split_once('/') {
            Some((a, b)) => (a, Some(b.parse::<u8>().ok()?)),
            None => (text, None),
        };
        let base = ClientAddress::parse(addr)?.ip();
        let max = if base.is_ipv4() { 32 } else { 128 };
        let bits = bits.unwrap_or(max);
        (bits <= max).then_some(Cidr { base, bits })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        fn masked(bytes: &[u8], bits: u8) -> Vec<u8> {
            bytes
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    let keep = (bits as usize).saturating_sub(i * 8).min(8);
                    if keep == 0 {
                        0
                    } else {
                        b & (0xffu8 << (8 - keep))
                    }
                })
                .collect()
        }
        match (self.base, ip) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                masked(&a.octets(), self.bits) == masked(&b.octets(), self.bits)
            }
            (IpAddr::V6(a), IpAddr::V6(b)) => {
                masked(&a.octets(), self.bits) == masked(&b.octets(), self.bits)
            }
            _ => false,
        }
    }
}

/// The `trusted_proxies` variable: proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

/// `trusted_proxies` holds something that is not a CIDR block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("trusted_proxies: {0:?} is not an IP address or CIDR block")]
pub struct ProxyListError(pub String);

impl TrustedProxies {
    /// Parse a comma- or space-separated CIDR list; empty means none.
    pub fn parse(text: &str) -> Result<TrustedProxies, ProxyListError> {
        text.split([',', ' '])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| Cidr::parse(t).ok_or_else(|| ProxyListError(t.to_owned())))
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|c| c.contains(ip))
    }

    /// The client: `peer` (the connection's address, from the platform) unless it is a
    /// trusted proxy, in which case the right-most untrusted hop of the
    /// `X-Forwarded-For` values (every header line, in order). A hop that does not
    /// parse ends the walk at the last trusted address seen.
    pub fn client(&self, peer: ClientAddress, forwarded_for: &[&str]) -> ClientAddress {
        let mut current = peer;
        if !self.trusts(current.ip()) {
            return current;
        }
        let hops = forwarded_for
            .iter()
            .flat_map(|line| line.split(','))
            .collect::<Vec<_>>();
        for hop in hops.into_iter().rev() {
            let Some(address) = ClientAddress::parse(hop) else {
                return current;
            };
            current = address;
            if !self.trusts(current.ip()) {
                return current;
            }
        }
        current
    }
}
