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

mod text {
    use super::*;
    use otp_core::config::origin_of;
    use proptest::prelude::*;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    proptest! {
        /// The address as text is what std's `Display` writes (RFC 5952 for IPv6), and an
        /// IPv4 address is its own throttle subject.
        #[test]
        fn the_text_of_an_address_is_what_display_writes(v4 in any::<u32>(), v6 in any::<u128>()) {
            let v4 = Ipv4Addr::from(v4);
            let four = ClientAddress::from(IpAddr::V4(v4));
            prop_assert_eq!(four.text(), v4.to_string());
            prop_assert_eq!(four.throttle_subject(), v4.to_string());
            let six = ClientAddress::from(IpAddr::V6(Ipv6Addr::from(v6)));
            prop_assert_eq!(six.text(), six.to_string());
        }

        /// The origin of an http(s) URL is the one the WHATWG URL Standard serialises (as
        /// the `url` crate does): scheme and host lower-case, the scheme's default port
        /// left out.
        #[test]
        fn the_origin_of_a_url_is_the_url_standards(
            scheme in "[hH][tT][tT][pP][sS]?",
            host in "[a-zA-Z][a-zA-Z0-9]{0,9}(\\.[a-zA-Z][a-zA-Z0-9]{0,9}){0,3}",
            port in prop::option::of(prop_oneof![Just(80u16), Just(443u16), any::<u16>()]),
            rest in "(/[a-zA-Z0-9]{0,8}){0,2}(\\?[a-z]{0,4})?(#[a-z]{0,4})?",
        ) {
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            let text = format!("{scheme}://{host}{port}{rest}");
            let standard = url::Url::parse(&text).unwrap().origin().ascii_serialization();
            prop_assert_eq!(origin_of(&text), standard);
        }
    }
}
