//! `cargo xtask reseal --url URL`: key rotation's sweep. Calls a running deployment's
//! `POST /api/admin/reseal` page after page (bearer from `OTP_EDGE_ADMIN_TOKEN`, never
//! the command line) until every account's shared secret is sealed under the current
//! key, printing the counts; then the old key can be removed from `seal_keys`.
//! Idempotent (a second run re-seals nothing) and resumable (`--after CURSOR` continues
//! a sweep that was cut short; every page prints its cursor).

use crate::error::{Error, Result};
use crate::process::announce;

/// The environment variable holding the admin bearer token.
pub const TOKEN_VARIABLE: &str = "OTP_EDGE_ADMIN_TOKEN";

/// Totals of a sweep.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Totals {
    /// Accounts looked at.
    pub examined: u64,
    /// Secrets moved to the current key.
    pub resealed: u64,
    /// Already under it.
    pub current: u64,
    /// Without a secret.
    pub without_secret: u64,
    /// Accounts whose secret opens with no configured key.
    pub failed: Vec<String>,
}

/// Runs the sweep against `url` (the deployment's base URL), from `after` if given.
pub fn reseal(url: &str, after: Option<String>) -> Result<()> {
    let token = std::env::var(TOKEN_VARIABLE).map_err(|_| {
        Error::Project(format!(
            "set {TOKEN_VARIABLE} to the deployment's admin_token (it is not taken from the command line)"
        ))
    })?;
    let totals = sweep(url.trim_end_matches('/'), &token, after)?;
    announce(format!(
        "re-sealed {} of {} accounts ({} already under the current key, {} without a secret)",
        totals.resealed, totals.examined, totals.current, totals.without_secret
    ));
    if totals.failed.is_empty() {
        announce(
            "every shared secret is under the current key: older keys can be removed from seal_keys",
        );
        Ok(())
    } else {
        Err(Error::Project(format!(
            "{} account(s) have a secret that opens with no configured key (keep that key, or reset their OTP): {}",
            totals.failed.len(),
            totals.failed.join(", ")
        )))
    }
}

fn sweep(base: &str, token: &str, mut after: Option<String>) -> Result<Totals> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut totals = Totals::default();
    loop {
        let body = serde_json::json!({ "after": after });
        let mut response = agent
            .post(format!("{base}/api/admin/reseal"))
            .header("authorization", format!("Bearer {token}"))
            .send_json(&body)
            .map_err(|e| Error::Project(format!("POST {base}/api/admin/reseal: {e}")))?;
        let status = response.status().as_u16();
        let page: serde_json::Value = response
            .body_mut()
            .read_json()
            .map_err(|e| Error::Project(format!("POST {base}/api/admin/reseal: {e}")))?;
        if status != 200 {
            return Err(Error::Project(format!(
                "POST {base}/api/admin/reseal answered {status}: {page}"
            )));
        }
        let count = |name: &str| page[name].as_u64().unwrap_or(0);
        totals.examined += count("examined");
        totals.resealed += count("resealed");
        totals.current += count("current");
        totals.without_secret += count("without_secret");
        totals.failed.extend(
            page["failed"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|id| id.as_str().map(str::to_owned)),
        );
        after = page["next"].as_str().map(str::to_owned);
        match &after {
            Some(cursor) => announce(format!(
                "{} accounts so far; next page after {cursor}",
                totals.examined
            )),
            None => return Ok(totals),
        }
    }
}
