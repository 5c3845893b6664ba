//! Client addresses: what the per-address limits count under, and when
//! `X-Forwarded-For` is believed (RFC 7239 §5.2 for the right-most-hop rule).

use otp_core::client::{ClientAddress, TrustedProxies};

fn addr(s: &str) -> ClientAddress {
    ClientAddress::parse(s).unwrap()
}

#[test]
fn ipv4_counts_per_address_and_ipv6_per_64() {
    assert_eq!(addr("192.0.2.1").throttle_subject(), "192.0.2.1");
    assert_eq!(
        addr("2001:db8:1:2:aaaa::1").throttle_subject(),
        addr("[2001:db8:1:2:ffff:eeee:dddd:1]").throttle_subject()
    );
    assert_eq!(
        addr("2001:db8:1:2::1").throttle_subject(),
        "2001:db8:1:2::/64"
    );
    assert_ne!(
        addr("2001:db8:1:2::1").throttle_subject(),
        addr("2001:db8:1:3::1").throttle_subject()
    );
    // An IPv4-mapped IPv6 address is the IPv4 client.
    assert_eq!(addr("::ffff:192.0.2.1"), addr("192.0.2.1"));
    assert_eq!(
        addr("2001:db8::7").to_string(),
        "2001:db8::7",
        "audit keeps it whole"
    );
    for bad in ["", "example.com", "192.0.2.256", "1.2.3.4:80"] {
        assert!(ClientAddress::parse(bad).is_none(), "{bad}");
    }
}

#[test]
fn forwarded_for_is_believed_only_from_trusted_proxies() {
    let none = TrustedProxies::parse("").unwrap();
    let proxies = TrustedProxies::parse("10.0.0.0/8, fd00::/8 192.168.1.1").unwrap();
    let forwarded = ["203.0.113.50, 198.51.100.7", "10.1.2.3"];
    // Nobody trusted: the connection's own address, whatever the header says.
    assert_eq!(none.client(addr("10.9.9.9"), &forwarded), addr("10.9.9.9"));
    // A trusted proxy: the right-most hop that is not a trusted proxy.
    assert_eq!(
        proxies.client(addr("10.9.9.9"), &forwarded),
        addr("198.51.100.7")
    );
    assert_eq!(
        proxies.client(addr("fd00::1"), &["2001:db8::5"]),
        addr("2001:db8::5")
    );
    // An untrusted peer's header is ignored.
    assert_eq!(
        proxies.client(addr("198.51.100.1"), &forwarded),
        addr("198.51.100.1")
    );
    // Garbage stops the walk at the last trusted address seen.
    assert_eq!(
        proxies.client(addr("10.9.9.9"), &["unknown"]),
        addr("10.9.9.9")
    );
    assert_eq!(
        proxies.client(addr("192.168.1.1"), &[]),
        addr("192.168.1.1")
    );
    assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
    assert!(TrustedProxies::parse("proxy.internal").is_err());
}
