//! Median and spread of repeated measurements, and how durations are written.

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
    pub fn of(values: &[f64]) -> Option<Summary> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        Some(Summary {
            n: sorted.len(),
            median: quantile(&sorted, 0.5),
            min: sorted[0],
            max: sorted[sorted.len() - 1],
            q1: quantile(&sorted, 0.25),
            q3: quantile(&sorted, 0.75),
        })
    }

    /// The same summary with every value passed through `f` (a monotonic conversion).
    pub fn map(self, f: impl Fn(f64) -> f64) -> Summary {
        Summary {
            n: self.n,
            median: f(self.median),
            min: f(self.min),
            max: f(self.max),
            q1: f(self.q1),
            q3: f(self.q3),
        }
    }
}

/// The `q` quantile of sorted, non-empty `values`, interpolating linearly.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let position = q * (sorted.len() - 1) as f64;
    let lower = position.floor() as usize;
    let upper = position.ceil() as usize;
    let fraction = position - lower as f64;
    sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
}

/// A time unit for a table column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Nanoseconds.
    Ns,
    /// Microseconds.
    Us,
    /// Milliseconds.
    Ms,
    /// Seconds.
    S,
}

impl Unit {
    /// Nanoseconds in one of this unit.
    fn nanos(self) -> f64 {
        match self {
            Unit::Ns => 1.0,
            Unit::Us => 1e3,
            Unit::Ms => 1e6,
            Unit::S => 1e9,
        }
    }

    /// The unit's symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::Ns => "ns",
            Unit::Us => "µs",
            Unit::Ms => "ms",
            Unit::S => "s",
        }
    }

    /// The unit that writes `nanos` with one to three digits before the point.
    pub fn fitting(nanos: f64) -> Unit {
        match nanos.abs() {
            n if n < 1e3 => Unit::Ns,
            n if n < 1e6 => Unit::Us,
            n if n < 1e9 => Unit::Ms,
            _ => Unit::S,
        }
    }
}

/// `value` (in nanoseconds) in `unit` with three significant digits, without the unit.
pub fn in_unit(nanos: f64, unit: Unit) -> String {
    significant(nanos / unit.nanos())
}

/// A number with three significant digits (`0.0123`, `1.23`, `12.3`, `123`, `1234`).
pub fn significant(value: f64) -> String {
    let magnitude = value.abs();
    let decimals = if magnitude == 0.0 || magnitude >= 100.0 {
        0
    } else if magnitude >= 10.0 {
        1
    } else if magnitude >= 1.0 {
        2
    } else {
        // 0.0123 → 4 decimals: as many as the leading zeros need, plus three digits.
        (2.0 - magnitude.log10().floor()).min(9.0) as usize
    };
    format!("{value:.decimals$}")
}

/// `nanos` in the unit that fits it, e.g. `12.3 µs`.
pub fn duration(nanos: f64) -> String {
    let unit = Unit::fitting(nanos);
    format!("{} {}", in_unit(nanos, unit), unit.symbol())
}

/// A summary of nanoseconds as `median (min–max)` in the unit fitting the median.
pub fn duration_range(s: &Summary) -> String {
    let unit = Unit::fitting(s.median);
    format!(
        "{} {} ({}–{})",
        in_unit(s.median, unit),
        unit.symbol(),
        in_unit(s.min, unit),
        in_unit(s.max, unit)
    )
}

/// A summary of plain numbers as `median (min–max)` with three significant digits.
pub fn number_range(s: &Summary) -> String {
    format!(
        "{} ({}–{})",
        significant(s.median),
        significant(s.min),
        significant(s.max)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_quartiles_and_range() {
        let s = Summary::of(&[5.0, 1.0, 3.0, 2.0, 4.0]).unwrap();
        assert_eq!((s.n, s.median, s.min, s.max), (5, 3.0, 1.0, 5.0));
        assert_eq!((s.q1, s.q3), (2.0, 4.0));
        let even = Summary::of(&[4.0, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!(even.median, 2.5);
        assert!(Summary::of(&[]).is_none());
        assert!(Summary::of(&[f64::NAN]).is_none());
    }

    #[test]
    fn three_significant_digits() {
        assert_eq!(significant(1234.4), "1234");
        assert_eq!(significant(123.4), "123");
        assert_eq!(significant(12.34), "12.3");
        assert_eq!(significant(1.234), "1.23");
        assert_eq!(significant(0.01234), "0.0123");
        assert_eq!(significant(0.0), "0");
    }

    #[test]
    fn durations_pick_their_unit() {
        assert_eq!(duration(230.4), "230 ns");
        assert_eq!(duration(901_230.0), "901 µs");
        assert_eq!(duration(17_255_000.0), "17.3 ms");
        assert_eq!(duration(2.5e9), "2.50 s");
        let s = Summary::of(&[1.2e6, 1.0e6, 1.5e6]).unwrap();
        assert_eq!(duration_range(&s), "1.20 ms (1.00–1.50)");
    }
}
