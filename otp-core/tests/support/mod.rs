//! Test support: an independent RFC 4226/6238 reference (HMAC-SHA-1 and dynamic
//! truncation written from the RFC text, on the `hmac`/`sha1` crates, not totp-rs),
//! a counting random source, and a service over the in-memory store.

#![allow(dead_code)]

use hmac_ref::{Hmac, Mac};
use otp_core::config::ServiceConfig;
use otp_core::memory::{FixedClock, MemoryOutbox, MemoryStore};
use otp_core::ports::OsRng;
use otp_core::secret::SharedSecret;

/// RFC 4226 §5.3 HOTP-SHA1 with `digits` digits, at RFC 6238 time step `unix / 30`.
pub fn reference_totp(secret: &[u8], unix: u64, digits: u32) -> String {
    let mut mac = Hmac::<sha1_ref::Sha1>::new_from_slice(secret).unwrap();
    mac.update(&(unix / 30).to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[19] & 0x0f);
    let binary = u32::from_be_bytes([
        hash[offset],
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]) & 0x7fff_ffff;
    format!(
        "{:0width$}",
        binary % 10u32.pow(digits),
        width = digits as usize
    )
}

/// The reference code for a Base32 key.
pub fn code_for(base32: &str, unix: u64) -> String {
    reference_totp(
        SharedSecret::from_base32(base32).unwrap().as_bytes(),
        unix,
        6,
    )
}

/// Store, clock and configuration for one test.
pub struct World {
    pub store: MemoryStore,
    pub clock: FixedClock,
    pub outbox: MemoryOutbox,
    pub config: ServiceConfig,
}

impl World {
    pub fn new() -> World {
        let config = ServiceConfig::from_variables(|name| match name {
            "seal_keys" => Some("test:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into()),
            "issuer" => Some("otp-edge test".into()),
            _ => None,
        })
        .unwrap();
        World {
            store: MemoryStore::default(),
            clock: FixedClock::at(1_700_000_010_000),
            outbox: MemoryOutbox::default(),
            config,
        }
    }

    pub fn service(&self) -> otp_core::flows::Service<'_> {
        otp_core::flows::Service {
            store: &self.store,
            clock: &self.clock,
            rng: &OsRng,
            outbox: &self.outbox,
            config: &self.config,
            client: otp_core::client::ClientAddress::parse("192.0.2.1"),
            language: otp_core::i18n::Language::En,
        }
    }

    /// The same world seen from another client address.
    pub fn service_from(&self, address: &str) -> otp_core::flows::Service<'_> {
        otp_core::flows::Service {
            client: otp_core::client::ClientAddress::parse(address),
            ..self.service()
        }
    }

    pub fn unix(&self) -> u64 {
        use otp_core::ports::Clock;
        self.clock.now_ms() / 1000
    }
}
