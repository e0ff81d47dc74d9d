//! Plain-text and Markdown tables for terminal summaries and reports.

use std::fmt;

/// A table of pre-formatted cells.
///
/// Cells are strings so the caller decides the precision (see [`format_mean_sd`]); the table
/// only decides layout. A column whose body cells all look like numbers (including "0.91 ±
/// 0.01" and "12%") is right-aligned so decimal places line up; other columns are left-aligned.
/// Rows shorter than the header are padded with empty cells and longer rows widen the table,
/// so a malformed row shows up in the output instead of panicking.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    /// Column titles.
    pub header: Vec<String>,
    /// Body rows, one string per cell.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with the given column titles and no rows.
    pub fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Self {
        Table { header: header.into_iter().map(Into::into).collect(), rows: Vec::new() }
    }

    /// Appends a row.
    pub fn push_row<S: Into<String>>(&mut self, row: impl IntoIterator<Item = S>) {
        self.rows.push(row.into_iter().map(Into::into).collect());
    }

    /// GitHub-flavoured Markdown, with `---:` on numeric columns so renderers right-align
    /// them too, and `|` in cells escaped.
    pub fn to_markdown(&self) -> String {
        let layout = self.layout();
        let esc = |s: &str| s.replace('|', "\\|");
        let widths: Vec<usize> = (0..layout.columns)
            .map(|c| self.all_rows().map(|r| width(&esc(cell(r, c)))).max().unwrap_or(0).max(3))
            .collect();
        let mut out = String::new();
        let line = |out: &mut String, row: &[String]| {
            out.push('|');
            for (c, &w) in widths.iter().enumerate() {
                out.push(' ');
                out.push_str(&pad(&esc(cell(row, c)), w, layout.numeric[c]));
                out.push_str(" |");
            }
            out.push('\n');
        };
        line(&mut out, &self.header);
        out.push('|');
        for (c, &w) in widths.iter().enumerate() {
            out.push(' ');
            if layout.numeric[c] {
                out.push_str(&"-".repeat(w - 1));
                out.push(':');
            } else {
                out.push_str(&"-".repeat(w));
            }
            out.push_str(" |");
        }
        out.push('\n');
        for row in &self.rows {
            line(&mut out, row);
        }
        out
    }

    fn all_rows(&self) -> impl Iterator<Item = &Vec<String>> {
        std::iter::once(&self.header).chain(&self.rows)
    }

    fn layout(&self) -> Layout {
        let columns = self.all_rows().map(Vec::len).max().unwrap_or(0);
        let widths = (0..columns).map(|c| self.all_rows().map(|r| width(cell(r, c))).max().unwrap_or(0)).collect();
        let numeric = (0..columns)
            .map(|c| {
                let mut body = self.rows.iter().map(|r| cell(r, c).trim()).filter(|s| !s.is_empty());
                let mut any = false;
                let all = body.all(|s| {
                    any = true;
                    looks_numeric(s)
                });
                any && all
            })
            .collect();
        Layout { columns, widths, numeric }
    }
}

struct Layout {
    columns: usize,
    widths: Vec<usize>,
    numeric: Vec<bool>,
}

impl fmt::Display for Table {
    /// Columns separated by two spaces, a dashed rule under the header, no trailing spaces.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let layout = self.layout();
        let render = |row: &[String]| {
            let cells: Vec<String> =
                (0..layout.columns).map(|c| pad(cell(row, c), layout.widths[c], layout.numeric[c])).collect();
            cells.join("  ").trim_end().to_string()
        };
        writeln!(f, "{}", render(&self.header))?;
        let rule: Vec<String> = layout.widths.iter().map(|&w| "-".repeat(w)).collect();
        writeln!(f, "{}", rule.join("  "))?;
        for row in &self.rows {
            writeln!(f, "{}", render(row))?;
        }
        Ok(())
    }
}

/// "0.914 ± 0.012": the form results are quoted in, with both parts at the same precision so
/// columns of them line up. Non-finite inputs print as "NaN"/"inf" rather than failing, which
/// keeps a table readable when a run diverged or had a single seed.
pub fn format_mean_sd(mean: f64, sd: f64, digits: usize) -> String {
    format!("{mean:.digits$} ± {sd:.digits$}")
}

fn cell(row: &[String], c: usize) -> &str {
    row.get(c).map_or("", String::as_str)
}

/// Display width in characters; "±" and "α" are one column each but two bytes.
fn width(s: &str) -> usize {
    s.chars().count()
}

fn pad(s: &str, w: usize, right: bool) -> String {
    let fill = " ".repeat(w.saturating_sub(width(s)));
    if right {
        fill + s
    } else {
        s.to_string() + &fill
    }
}

/// Numbers as they appear in our tables: plain or scientific floats, "NaN", percentages and
/// "mean ± sd" pairs.
fn looks_numeric(s: &str) -> bool {
    let num = |t: &str| {
        let t = t.trim();
        let t = t.strip_suffix('%').unwrap_or(t);
        !t.is_empty() && t.parse::<f64>().is_ok()
    };
    match s.split_once('±') {
        Some((a, b)) => num(a) && num(b),
        None => num(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_detection() {
        assert!(looks_numeric("0.914 ± 0.012"));
        assert!(looks_numeric("1e-3"));
        assert!(looks_numeric("12%"));
        assert!(looks_numeric("NaN"));
        assert!(!looks_numeric("L2"));
        assert!(!looks_numeric("± 1"));
    }
}
