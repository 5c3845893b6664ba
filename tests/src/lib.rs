//! End-to-end test support for otp-edge.
