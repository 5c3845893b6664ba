//! Median and spread of repeated measurements, and how numbers and durations are written.

/// The middle and the spread of a set of measurements.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// How many measurements.
    pub n: usize,
    /// The median.
    pub median: f64,
    /// The smallest measurement.
    pub min: f64,
    /// The largest measurement.
    pub max: f64,
    /// The first quartile (25th percentile, linear interpolation).
    pub q1: f64,
    /// The third quartile (75th percentile, linear interpolation).
    pub q3: f64,
}

impl Summary {
    /// The summary of `values`; `None` when there are none (NaNs are left out).
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Summary> {
        let mut s: Vec<f64> = values.into_iter().filter(|v| !v.is_nan()).collect();
        s.sort_by(f64::total_cmp);
        let q = |q: f64| {
            let at = q * (s.len() - 1) as f64;
            let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
            s[lo] + (s[hi] - s[lo]) * (at - lo as f64)
        };
        (!s.is_empty()).then(|| Summary {
            n: s.len(),
            median: q(0.5),
            min: s[0],
            max: s[s.len() - 1],
            q1: q(0.25),
            q3: q(0.75),
        })
    }

    /// Nanoseconds as `median (min–max)` ([`durations`]).
    pub fn time(&self) -> String {
        durations(self.median, self.min, self.max)
    }

    /// Plain numbers as `median (min–max)`, three significant digits each.
    pub fn count(&self) -> String {
        let [m, lo, hi] = [self.median, self.min, self.max].map(significant);
        format!("{m} ({lo}–{hi})")
    }
}

/// The time unit that writes `nanos` with one to three digits before the point:
/// nanoseconds per unit and its symbol.
fn unit(nanos: f64) -> (f64, &'static str) {
    match nanos.abs() {
        n if n < 1e3 => (1.0, "ns"),
        n if n < 1e6 => (1e3, "µs"),
        n if n < 1e9 => (1e6, "ms"),
        _ => (1e9, "s"),
    }
}

/// `nanos` in the unit fitting `reference`, three significant digits, without the unit.
pub fn in_unit_of(reference: f64, nanos: f64) -> String {
    significant(nanos / unit(reference).0)
}

/// The symbol of the unit fitting `nanos` (`µs`).
pub fn symbol(nanos: f64) -> &'static str {
    unit(nanos).1
}

/// A number with three significant digits (`0.0123`, `1.23`, `12.3`, `123`, `1234`).
pub fn significant(value: f64) -> String {
    let magnitude = value.abs();
    let decimals = match magnitude {
        m if m == 0.0 || m >= 100.0 => 0,
        m if m >= 10.0 => 1,
        m if m >= 1.0 => 2,
        // 0.0123 → 4 decimals: as many as the leading zeros need, plus three digits.
        m => (2.0 - m.log10().floor()).min(9.0) as usize,
    };
    format!("{value:.decimals$}")
}

/// `nanos` in the unit that fits it, e.g. `12.3 µs`.
pub fn duration(nanos: f64) -> String {
    format!("{} {}", in_unit_of(nanos, nanos), symbol(nanos))
}

/// Nanoseconds as `mid (lo–hi)` in the unit fitting `mid`: `1.20 ms (1.00–1.50)`.
pub fn durations(mid: f64, lo: f64, hi: f64) -> String {
    format!(
        "{} ({}–{})",
        duration(mid),
        in_unit_of(mid, lo),
        in_unit_of(mid, hi)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_quartiles_and_range() {
        let s = Summary::of([5.0, 1.0, 3.0, 2.0, 4.0]).unwrap();
        assert_eq!((s.n, s.median, s.min, s.max), (5, 3.0, 1.0, 5.0));
        assert_eq!((s.q1, s.q3), (2.0, 4.0));
        assert_eq!(Summary::of([4.0, 1.0, 2.0, 3.0]).unwrap().median, 2.5);
        assert!(Summary::of([]).is_none());
        assert!(Summary::of([f64::NAN]).is_none());
    }

    #[test]
    fn three_significant_digits() {
        let written = [1234.4, 123.4, 12.34, 1.234, 0.01234, 0.0].map(significant);
        assert_eq!(written, ["1234", "123", "12.3", "1.23", "0.0123", "0"]);
    }

    #[test]
    fn durations_pick_their_unit() {
        let written = [230.4, 901_230.0, 17_255_000.0, 2.5e9].map(duration);
        assert_eq!(written, ["230 ns", "901 µs", "17.3 ms", "2.50 s"]);
        let s = Summary::of([1.2e6, 1.0e6, 1.5e6]).unwrap();
        assert_eq!(s.time(), "1.20 ms (1.00–1.50)");
        assert_eq!(
            Summary::of([5365.2, 5252.0, 5390.0]).unwrap().count(),
            "5365 (5252–5390)"
        );
    }
}
