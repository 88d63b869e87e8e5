//! How a command fails: the exit code it deserves and one line on stderr.

use crate::service;

/// A failure with the exit code it deserves.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub(crate) fn config(message: impl ToString) -> Failure {
        Failure {
            code: 2,
            message: message.to_string(),
        }
    }

    pub(crate) fn runtime(message: impl ToString) -> Failure {
        Failure {
            code: 1,
            message: message.to_string(),
        }
    }
}

/// A service refusal is the operator's input (exit 2); anything else a failure (1).
pub(crate) fn failure(error: service::Error) -> Failure {
    match error {
        service::Error::Invalid { field, message } => {
            Failure::config(format!("--{field}: {message}"))
        }
        service::Error::NotFound(why) => Failure::config(why),
        other => Failure::runtime(other),
    }
}

/// Folds a multi-line message (libpq hints, TOML snippets) into one line, so logs
/// and terminals show one error per failure. Source-snippet lines are dropped.
pub fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .filter(|line| {
            let rest = line
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .trim_start();
            !rest.starts_with('|')
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_drops_snippets_and_joins() {
        let toml = "TOML parse error at line 1, column 8\n  |\n1 | [server\n  |        ^\n\
                    unclosed table, expected `]`\n in bad.toml\n";
        assert_eq!(
            one_line(toml),
            "TOML parse error at line 1, column 8; unclosed table, expected `]`; in bad.toml"
        );
    }
}
