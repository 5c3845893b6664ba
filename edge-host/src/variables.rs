//! Spin application variables: names, sources and precedence.
//!
//! Names follow Spin's rules: lower-case ASCII letters, digits and single underscores,
//! starting with a letter and ending with a letter or digit. Values come from, lowest
//! precedence first:
//!
//! 1. the environment, `SPIN_VARIABLE_<NAME IN UPPER CASE>=value` (as Spin's environment
//!    provider reads it);
//! 2. `--var-file FILE` (lines `name=value`; blank lines and `#` comments ignored);
//! 3. `--var name=value` on the command line.
//!
//! There is no manifest listing the variables, so every valid name may be asked for: an
//! unset one is `undefined`, a malformed one `invalid-name`.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// Prefix of the environment variables that set Spin variables.
pub const ENV_PREFIX: &str = "SPIN_VARIABLE_";

/// Why a variable could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VarError {
    /// The name breaks Spin's naming rules; holds a human explanation.
    #[error("invalid variable name {0}")]
    InvalidName(String),
    /// No value was configured for the name.
    #[error("variable {0:?} is not set")]
    Undefined(String),
}

/// A bad `--var` argument or `--var-file` line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VarSyntaxError {
    /// No `=` in the text.
    #[error("expected NAME=VALUE, got {0:?}")]
    MissingEquals(String),
    /// The name part is not a valid Spin variable name.
    #[error("{0}")]
    BadName(String),
    /// A line of a variables file could not be used.
    #[error("{file}, line {line}: {source}")]
    InFile {
        /// The file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What was wrong with the line.
        source: Box<VarSyntaxError>,
    },
    /// The variables file could not be read.
    #[error("cannot read variables file {file}: {message}")]
    Unreadable {
        /// The file.
        file: String,
        /// The I/O error.
        message: String,
    },
}

/// Checks `name` against Spin's variable naming rules; the error explains the problem.
pub fn validate_name(name: &str) -> Result<(), String> {
    let reason = if name.is_empty() {
        "must not be empty"
    } else if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        "may contain only lower-case letters, digits and underscores"
    } else if !name.as_bytes()[0].is_ascii_lowercase() {
        "must start with a lower-case letter"
    } else if !name.as_bytes()[name.len() - 1].is_ascii_alphanumeric() {
        "must end with a lower-case letter or digit"
    } else if name.contains("__") {
        "must not contain two underscores in a row"
    } else {
        return Ok(());
    };
    Err(format!("{name:?}: {reason}"))
}

/// One `NAME=VALUE` assignment, as given to `--var`.
#[derive(Clone, PartialEq, Eq)]
pub struct VarAssignment {
    /// The variable name (valid).
    pub name: String,
    /// The value (may be empty, may contain `=`).
    pub value: String,
}

impl fmt::Debug for VarAssignment {
    // Values may be secrets (seal keys, tokens): never print them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VarAssignment({}=<redacted>)", self.name)
    }
}

impl FromStr for VarAssignment {
    type Err = VarSyntaxError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (name, value) = text
            .split_once('=')
            .ok_or_else(|| VarSyntaxError::MissingEquals(redact_value(text)))?;
        validate_name(name)
            .map_err(|reason| VarSyntaxError::BadName(format!("invalid variable name {reason}")))?;
        Ok(Self {
            name: name.to_owned(),
            value: value.to_owned(),
        })
    }
}

/// Shows at most a short prefix of a malformed argument (it may be a pasted secret).
fn redact_value(text: &str) -> String {
    let prefix: String = text.chars().take(12).collect();
    if prefix.len() < text.len() {
        format!("{prefix}…")
    } else {
        prefix
    }
}

/// Parses the text of a variables file (`name=value` lines).
pub fn parse_var_file(file: &str, text: &str) -> Result<Vec<VarAssignment>, VarSyntaxError> {
    text.lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .map(|(line, text)| {
            text.parse().map_err(|e| VarSyntaxError::InFile {
                file: file.to_owned(),
                line,
                source: Box::new(e),
            })
        })
        .collect()
}

/// Reads and parses a variables file.
pub fn read_var_file(path: &Path) -> Result<Vec<VarAssignment>, VarSyntaxError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| VarSyntaxError::Unreadable {
        file: file.clone(),
        message: e.to_string(),
    })?;
    parse_var_file(&file, &text)
}

/// The resolved variables, fixed at start-up.
#[derive(Default)]
pub struct Variables {
    values: BTreeMap<String, String>,
}

impl fmt::Debug for Variables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.values.keys()).finish()
    }
}

impl Variables {
    /// Resolves variables from the environment (lowest precedence) and assignment
    /// lists given in increasing precedence (e.g. file, then command line).
    ///
    /// Environment entries whose name is not a valid variable name after the prefix
    /// are skipped and returned as warnings.
    pub fn resolve<'a>(
        env: impl IntoIterator<Item = (OsString, OsString)>,
        layers: impl IntoIterator<Item = &'a [VarAssignment]>,
    ) -> (Self, Vec<String>) {
        let mut values = BTreeMap::new();
        let mut warnings = Vec::new();
        for (key, value) in env {
            let Some(suffix) = key.to_str().and_then(|k| k.strip_prefix(ENV_PREFIX)) else {
                continue;
            };
            let name = suffix.to_ascii_lowercase();
            if suffix != name.to_ascii_uppercase() || validate_name(&name).is_err() {
                warnings.push(format!(
                    "ignoring environment variable {ENV_PREFIX}{suffix}: not a valid Spin variable name"
                ));
                continue;
            }
            match value.into_string() {
                Ok(value) => {
                    values.insert(name, value);
                }
                Err(_) => warnings.push(format!(
                    "ignoring environment variable {ENV_PREFIX}{suffix}: value is not UTF-8"
                )),
            }
        }
        for layer in layers {
            for assignment in layer {
                values.insert(assignment.name.clone(), assignment.value.clone());
            }
        }
        (Self { values }, warnings)
    }

    /// The value of variable `name`, with Spin's errors.
    pub fn get(&self, name: &str) -> Result<String, VarError> {
        validate_name(name).map_err(VarError::InvalidName)?;
        self.values
            .get(name)
            .cloned()
            .ok_or_else(|| VarError::Undefined(name.to_owned()))
    }

    /// Set `name` to `value` unless it is already set (a default that depends on the
    /// running server, like `public_base_url`).
    pub fn set_default(&mut self, name: &str, value: String) {
        self.values.entry(name.to_owned()).or_insert(value);
    }

    /// All `(name, value)` pairs, sorted by name.
    pub fn all(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    fn assign(text: &str) -> VarAssignment {
        text.parse().unwrap()
    }

    #[test]
    fn names_follow_spin_rules() {
        for good in [
            "a",
            "abc",
            "a1b2c3",
            "a_1",
            "seal_keys",
            "email_provider_url",
        ] {
            validate_name(good).expect(good);
        }
        for bad in [
            "",
            "aX",
            "1bc",
            "_x",
            "x.y",
            "x_",
            "a__b",
            "x-y",
            "SEAL_KEYS",
            "é",
        ] {
            validate_name(bad).expect_err(bad);
        }
    }

    #[test]
    fn assignments_parse() {
        let a = assign("issuer=Example Corp");
        assert_eq!(
            (a.name.as_str(), a.value.as_str()),
            ("issuer", "Example Corp")
        );
        let a = assign("seal_keys=k1:abc=,k2:def==");
        assert_eq!(a.value, "k1:abc=,k2:def==");
        assert_eq!(assign("empty=").value, "");
        assert!(matches!(
            "no_equals".parse::<VarAssignment>(),
            Err(VarSyntaxError::MissingEquals(_))
        ));
        assert!(matches!(
            "Bad=1".parse::<VarAssignment>(),
            Err(VarSyntaxError::BadName(_))
        ));
        assert!(matches!(
            "=1".parse::<VarAssignment>(),
            Err(VarSyntaxError::BadName(_))
        ));
    }

    #[test]
    fn errors_and_debug_never_show_values() {
        let a = assign("admin_token=supersecretvalue");
        assert!(!format!("{a:?}").contains("supersecret"));
        let err = "averyveryverylongsecretwithoutequals"
            .parse::<VarAssignment>()
            .unwrap_err();
        assert!(!err.to_string().contains("withoutequals"));
        let (vars, _) = Variables::resolve(Vec::new(), [std::slice::from_ref(&a)]);
        assert!(!format!("{vars:?}").contains("supersecret"));
    }

    #[test]
    fn command_line_overrides_file_overrides_environment() {
        let environment = env(&[
            ("SPIN_VARIABLE_ISSUER", "from-env"),
            ("SPIN_VARIABLE_PUBLIC_BASE_URL", "http://env"),
            ("SPIN_VARIABLE_ADMIN_TOKEN", "env-token"),
            ("PATH", "/usr/bin"),
        ]);
        let file = parse_var_file(
            "vars",
            "# comment\n\nissuer=from-file\nadmin_token=file-token\n",
        )
        .unwrap();
        let cli = vec![assign("issuer=from-cli")];
        let (vars, warnings) = Variables::resolve(environment, [file.as_slice(), cli.as_slice()]);
        assert!(warnings.is_empty());
        assert_eq!(vars.get("issuer").unwrap(), "from-cli");
        assert_eq!(vars.get("admin_token").unwrap(), "file-token");
        assert_eq!(vars.get("public_base_url").unwrap(), "http://env");
        assert_eq!(vars.get("path"), Err(VarError::Undefined("path".into())));
        assert!(matches!(vars.get("Issuer"), Err(VarError::InvalidName(_))));
        assert_eq!(vars.all().count(), 3);
    }

    #[test]
    fn bad_environment_names_are_skipped_with_a_warning() {
        let (vars, warnings) = Variables::resolve(
            env(&[
                ("SPIN_VARIABLE_BAD__NAME", "x"),
                ("SPIN_VARIABLE_lower", "y"),
            ]),
            [],
        );
        assert_eq!(vars.all().count(), 0);
        assert_eq!(warnings.len(), 2);
    }

    #[test]
    fn var_file_errors_name_the_line() {
        let err = parse_var_file("f.env", "ok=1\nnot a line\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "f.env, line 2: expected NAME=VALUE, got \"not a line\""
        );
    }
}
