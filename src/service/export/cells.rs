//! CSV injection: a spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (or
//! a tab or carriage return before one) as a formula, so a client named
//! `=HYPERLINK("http://evil.example","Ana")` would be a live link in the clinic's
//! spreadsheet. Every cell the exports write goes through [`neutralise`], which puts a
//! `'` in front of such a cell (spreadsheets show the text, without the quote), and
//! the import reads every cell through [`restore`], which takes that quote away again,
//! so a client named `-Ana` comes back as `-Ana`.
//!
//! The pair round-trips every text: a cell is quoted when, after any `'` it already
//! starts with, it starts with a trigger (`'=x` becomes `''=x`), and a quote is taken
//! away only from such a cell, so `'Ana` stays `'Ana` both ways.

use std::borrow::Cow;

/// The characters that make a spreadsheet read a cell as a formula.
const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `cell` would be read as a formula, or is a quoted one.
fn needs_quote(cell: &str) -> bool {
    cell.trim_start_matches('\'').starts_with(TRIGGERS)
}

/// The cell as an export writes it: `'` in front when a spreadsheet would run it.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if needs_quote(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// The cell as the import reads it: the `'` that [`neutralise`] added taken away.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_quote(rest) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_quoted_and_come_back_as_written() {
        for (cell, written) in [
            ("=1+2", "'=1+2"),
            ("+44 20", "'+44 20"),
            ("-Ana", "'-Ana"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=cmd", "'\t=cmd"),
            ("\r=cmd", "'\r=cmd"),
            ("'=x", "''=x"),
            ("''-x", "'''-x"),
            ("Ana", "Ana"),
            ("'Ana", "'Ana"),
            ("O'Neil", "O'Neil"),
            ("", ""),
            ("'", "'"),
            ("2026-03-02", "2026-03-02"),
        ] {
            assert_eq!(neutralise(cell), written, "{cell:?}");
            assert_eq!(restore(written), cell, "{written:?}");
        }
    }

    #[test]
    fn a_quote_a_person_typed_before_a_formula_is_taken_as_the_export_s() {
        // What a spreadsheet shows for '=x is =x: the import reads it the same way.
        assert_eq!(restore("'=x"), "=x");
        assert_eq!(restore("'Ana"), "'Ana");
    }
}
