//! Input echoed back in error messages, cut to a readable length.
//!
//! An error should show the value it refuses, so the sender sees what was wrong; a
//! 60 KB value shown whole (and in an error body that names it twice) helps nobody
//! and multiplies what a bad request costs us. 200 characters identify any value.

/// The most characters of one input value an error message shows.
pub const MAX_ECHO_CHARS: usize = 200;

/// `value` as `{:?}` shows it, cut to [`MAX_ECHO_CHARS`] characters; a cut value
/// says how long it was.
pub fn quoted(value: &str) -> String {
    let total = value.chars().count();
    if total <= MAX_ECHO_CHARS {
        return format!("{value:?}");
    }
    let head: String = value.chars().take(MAX_ECHO_CHARS).collect();
    format!("{head:?}... ({total} characters)")
}

/// `text` cut to [`MAX_ECHO_CHARS`] characters (for a field path that may carry a
/// map key the sender chose).
pub fn cut(text: &str) -> String {
    let total = text.chars().count();
    if total <= MAX_ECHO_CHARS {
        return text.to_string();
    }
    let head: String = text.chars().take(MAX_ECHO_CHARS).collect();
    format!("{head}... ({total} characters)")
}

/// A message written by someone else (serde, a parser) with values in `"..."` or
/// `` `...` ``: every quoted value longer than [`MAX_ECHO_CHARS`] is cut, the words
/// around it kept. An unclosed quote runs to the end; the rest is cut as a whole.
pub fn cut_quoted(message: &str) -> String {
    let chars: Vec<char> = message.chars().collect();
    let mut out = String::with_capacity(message.len().min(4 * MAX_ECHO_CHARS));
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '"' && c != '`' {
            out.push(c);
            i += 1;
            continue;
        }
        // Find the closing quote; inside "...", a backslash escapes the next char.
        let mut end = i + 1;
        while end < chars.len() && chars[end] != c {
            end += if c == '"' && chars[end] == '\\' { 2 } else { 1 };
        }
        let end = end.min(chars.len());
        let inner = &chars[i + 1..end];
        out.push(c);
        if inner.len() > MAX_ECHO_CHARS {
            out.extend(&inner[..MAX_ECHO_CHARS]);
            out.push_str(&format!("... ({} characters)", inner.len()));
        } else {
            out.extend(inner);
        }
        if end < chars.len() {
            out.push(c);
        }
        i = end + 1;
    }
    cut_long(out)
}

/// A last bound on a whole message: quoted values are cut, but a message might hold
/// a long value without quotes.
fn cut_long(message: String) -> String {
    const MAX_MESSAGE_CHARS: usize = 4 * MAX_ECHO_CHARS;
    if message.chars().count() <= MAX_MESSAGE_CHARS {
        return message;
    }
    let head: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
    format!("{head}...")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_shown_whole() {
        assert_eq!(quoted("Mars/Olympus"), "\"Mars/Olympus\"");
        assert_eq!(cut("sessions[1]"), "sessions[1]");
        let message = "invalid type: string \"three\", expected u32";
        assert_eq!(cut_quoted(message), message);
    }

    #[test]
    fn long_values_are_cut_and_say_how_long_they_were() {
        let long = "é".repeat(60_000);
        let shown = quoted(&long);
        assert!(
            shown.starts_with(&format!("\"{}\"", "é".repeat(200))),
            "{shown}"
        );
        assert!(shown.ends_with("... (60000 characters)"), "{shown}");
        let message = format!("unknown field `{long}`, expected one of `email`, `name`");
        let cut = cut_quoted(&message);
        assert!(cut.contains(&"é".repeat(200)) && !cut.contains(&"é".repeat(201)));
        assert!(cut.ends_with("... (60000 characters)`, expected one of `email`, `name`"));
    }

    #[test]
    fn escaped_quotes_and_unclosed_quotes() {
        let long = "a".repeat(500);
        let message = format!("invalid value: string \"\\\"{long}\", expected a date");
        let cut = cut_quoted(&message);
        assert!(cut.ends_with("characters)\", expected a date"), "{cut}");
        let unclosed = cut_quoted(&format!("odd `{long}"));
        assert!(unclosed.ends_with("... (500 characters)"), "{unclosed}");
        let bare = cut_quoted(&"b".repeat(5_000));
        assert!(bare.chars().count() < 1_000, "{}", bare.len());
    }
}
