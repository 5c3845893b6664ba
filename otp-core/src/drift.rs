//! Clock drift between a device and the server.
//!
//! A TOTP code depends on the clock of the device that shows it. The browser module
//! asks `GET /api/time` a few times and estimates the device clock's offset the way
//! NTP does (RFC 5905 §8, simplified to one server timestamp): for a sample sent at
//! device time `t0`, answered with server time `s` and received at device time `t1`,
//! `offset = s − (t0 + t1) / 2` with uncertainty `± (t1 − t0) / 2`. The sample with the
//! lowest round trip is kept (least queueing, tightest bound).

use serde::{Deserialize, Serialize};

/// Offset beyond which the person is warned: a third of a 30-second time step.
pub const WARN_THRESHOLD_MS: i64 = 10_000;

/// One `/api/time` round trip, all in Unix milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeSample {
    /// Device clock when the request was sent.
    pub sent_ms: i64,
    /// The server's `unix_ms` answer.
    pub server_ms: i64,
    /// Device clock when the answer arrived.
    pub received_ms: i64,
}

/// The estimated device clock offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClockOffset {
    /// Server time minus device time, in ms: positive when the device is behind.
    pub offset_ms: i64,
    /// Half the round trip of the sample used, in ms: the true offset is within ±this.
    pub uncertainty_ms: i64,
    /// Valid samples considered.
    pub samples: u32,
}

/// Estimate the offset from samples; samples with a negative round trip (a device clock
/// that jumped) are ignored. `None` when no sample is usable.
pub fn estimate(samples: &[TimeSample]) -> Option<ClockOffset> {
    let valid: Vec<(i64, &TimeSample)> = samples
        .iter()
        .filter_map(|s| {
            let round_trip = s.received_ms.checked_sub(s.sent_ms)?;
            (round_trip >= 0).then_some((round_trip, s))
        })
        .collect();
    let &(round_trip, best) = valid.iter().min_by_key(|(rtt, _)| *rtt)?;
    let midpoint = best.sent_ms + round_trip / 2;
    Some(ClockOffset {
        offset_ms: best.server_ms.saturating_sub(midpoint),
        uncertainty_ms: round_trip / 2 + round_trip % 2,
        samples: u32::try_from(valid.len()).unwrap_or(u32::MAX),
    })
}

/// Which way the device clock is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftDirection {
    /// The device clock shows a later time than the server.
    Ahead,
    /// The device clock shows an earlier time than the server.
    Behind,
}

/// A drift worth telling the person about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftWarning {
    /// Ahead or behind.
    pub direction: DriftDirection,
    /// By how many whole seconds (rounded).
    pub seconds: i64,
}

/// A warning when the device is off by more than [`WARN_THRESHOLD_MS`].
pub fn warning(offset: &ClockOffset) -> Option<DriftWarning> {
    if offset.offset_ms.saturating_abs() <= WARN_THRESHOLD_MS {
        return None;
    }
    let direction = if offset.offset_ms < 0 {
        DriftDirection::Ahead
    } else {
        DriftDirection::Behind
    };
    Some(DriftWarning {
        direction,
        seconds: offset.offset_ms.saturating_abs().saturating_add(500) / 1000,
    })
}
