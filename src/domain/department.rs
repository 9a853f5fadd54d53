use std::fmt;

use serde::{Deserialize, Serialize};

/// The short code that names a department in config, directive files and the store,
/// e.g. `snv` or `ubnd-tpnd`: lowercase ASCII letters, digits and inner hyphens.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DepartmentCode(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "'{0}' is not a department code: use 1 to 64 lowercase ASCII letters, digits and inner hyphens (e.g. 'snv', 'ubnd-tpnd')"
)]
pub struct DepartmentCodeError(pub String);

impl DepartmentCode {
    pub fn parse(text: &str) -> Result<Self, DepartmentCodeError> {
        let valid_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        let valid = !text.is_empty()
            && text.len() <= 64
            && text.chars().all(valid_char)
            && !text.starts_with('-')
            && !text.ends_with('-');
        if valid { Ok(Self(text.to_owned())) } else { Err(DepartmentCodeError(text.to_owned())) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DepartmentCode {
    type Error = DepartmentCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<DepartmentCode> for String {
    fn from(code: DepartmentCode) -> Self {
        code.0
    }
}

impl fmt::Display for DepartmentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_lowercase_codes_with_inner_hyphens() {
        for code in ["snv", "ubnd-tpnd", "vp-ubnd", "s1"] {
            assert_eq!(DepartmentCode::parse(code).unwrap().as_str(), code);
        }
    }

    #[test]
    fn rejects_anything_else() {
        for code in ["", "SNV", "sở", "-snv", "snv-", "s nv", "s_nv", &"a".repeat(65)] {
            assert!(DepartmentCode::parse(code).is_err(), "{code:?} accepted");
        }
    }
}
