//! One-hot encoding of a categorical column, with scikit-learn's `OneHotEncoder` semantics:
//! categories are fitted on the training rows and sorted, each becomes one 0/1 column, and a
//! category never seen in training is an error or (with `handle_unknown = "ignore"`) a row of
//! zeros. The fitted categories are stored in the model file, so predictions use the very same
//! columns in the same order.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::clip::summarize_list;
use crate::DataError;

/// What an unseen category becomes (scikit-learn's `handle_unknown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HandleUnknown {
    /// An error naming the file, line, column and value.
    #[default]
    Error,
    /// All-zero columns.
    Ignore,
}

/// Default of the spec key `max_categories`.
pub const DEFAULT_MAX_CATEGORIES: usize = 1000;

/// The most categories a stored encoder may hold: a corrupt file cannot ask for more columns.
const MAX_STORED_CATEGORIES: usize = 1 << 20;

/// A fitted one-hot encoder of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawOneHot")]
pub struct OneHotEncoder {
    column: String,
    categories: Vec<String>,
    handle_unknown: HandleUnknown,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOneHot {
    column: String,
    categories: Vec<String>,
    handle_unknown: HandleUnknown,
}

impl TryFrom<RawOneHot> for OneHotEncoder {
    type Error = DataError;
    fn try_from(raw: RawOneHot) -> Result<Self, DataError> {
        let bad = |why: String| {
            DataError::InvalidPipeline(format!("one-hot column `{}`: {why}", crate::summarize(&raw.column)))
        };
        if raw.column.is_empty() {
            return Err(DataError::InvalidPipeline("a one-hot encoder has an empty column name".into()));
        }
        if raw.categories.is_empty() || raw.categories.len() > MAX_STORED_CATEGORIES {
            return Err(bad(format!("{} categories (1 to {MAX_STORED_CATEGORIES} allowed)", raw.categories.len())));
        }
        let mut sorted = raw.categories.clone();
        sort_categories(&mut sorted);
        sorted.dedup();
        if sorted != raw.categories {
            return Err(bad("categories must be distinct and sorted".into()));
        }
        Ok(OneHotEncoder { column: raw.column, categories: raw.categories, handle_unknown: raw.handle_unknown })
    }
}

/// scikit-learn's order: a column whose values are all numbers sorts numerically (ties, such as
/// `1` and `1.0`, by text), any other column by text (Unicode code points, as Python does).
fn sort_categories(values: &mut [String]) {
    let numbers: Option<Vec<f64>> = values.iter().map(|v| v.parse::<f64>().ok().filter(|x| x.is_finite())).collect();
    if numbers.is_some() {
        values.sort_by(|a, b| {
            let (x, y) = (a.parse::<f64>().unwrap_or(0.0), b.parse::<f64>().unwrap_or(0.0));
            x.partial_cmp(&y).unwrap_or(Ordering::Equal).then_with(|| a.cmp(b))
        });
    } else {
        values.sort();
    }
}

impl OneHotEncoder {
    /// Fits on the training rows' cells of `column` (of `path`, for the message when there are
    /// more than `max_categories` distinct values).
    pub fn fit(
        column: &str,
        values: &[String],
        handle_unknown: HandleUnknown,
        max_categories: usize,
        path: &Path,
    ) -> Result<OneHotEncoder, DataError> {
        let distinct: HashSet<&str> = values.iter().map(String::as_str).collect();
        if distinct.len() > max_categories {
            return Err(DataError::TooManyCategories {
                path: path.to_path_buf(),
                column: column.to_owned(),
                found: distinct.len(),
                max: max_categories,
            });
        }
        let mut categories: Vec<String> = distinct.into_iter().map(str::to_owned).collect();
        sort_categories(&mut categories);
        Ok(OneHotEncoder { column: column.to_owned(), categories, handle_unknown })
    }

    /// The column it encodes.
    pub fn column(&self) -> &str {
        &self.column
    }

    /// The fitted categories, sorted: output column `i` is 1 for `categories()[i]`.
    pub fn categories(&self) -> &[String] {
        &self.categories
    }

    /// What an unseen category becomes.
    pub fn handle_unknown(&self) -> HandleUnknown {
        self.handle_unknown
    }

    /// The names of the output columns: `column=category`.
    pub fn output_names(&self) -> Vec<String> {
        self.categories.iter().map(|c| format!("{}={c}", self.column)).collect()
    }

    /// Writes row `r`'s one-hot block into `out[r * stride + offset ..]` for every row; an
    /// unseen value is an error at its file `lines[r]` and `column_number`, or zeros.
    pub fn encode_into(
        &self,
        values: &[String],
        out: &mut [f64],
        stride: usize,
        offset: usize,
        at: (&Path, &[u64], usize),
    ) -> Result<(), DataError> {
        let (path, lines, number) = at;
        let index: HashMap<&str, usize> = self.categories.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect();
        for (r, value) in values.iter().enumerate() {
            let found = index.get(value.as_str()).copied();
            match (found, self.handle_unknown) {
                (Some(i), _) => out[r * stride + offset + i] = 1.0,
                (None, HandleUnknown::Ignore) => {}
                (None, HandleUnknown::Error) => {
                    return Err(DataError::UnknownCategory {
                        path: path.to_path_buf(),
                        line: lines.get(r).copied().unwrap_or(0),
                        column: number,
                        name: self.column.clone(),
                        value: value.clone(),
                        known: summarize_list(&self.categories),
                    })
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    fn encode(enc: &OneHotEncoder, values: &[&str]) -> Result<Vec<f64>, DataError> {
        let k = enc.categories().len();
        let mut out = vec![0.0; values.len() * k];
        let lines: Vec<u64> = (2..2 + values.len() as u64).collect();
        enc.encode_into(&s(values), &mut out, k, 0, (Path::new("t.csv"), &lines, 3))?;
        Ok(out)
    }

    #[test]
    fn sorted_categories_like_sklearn() {
        // OneHotEncoder().fit([["Dream"], ["Biscoe"], ["Torgersen"], ["Dream"]]).categories_
        //   -> [array(['Biscoe', 'Dream', 'Torgersen'], dtype=object)]
        let enc = OneHotEncoder::fit(
            "island",
            &s(&["Dream", "Biscoe", "Torgersen", "Dream"]),
            HandleUnknown::Error,
            10,
            Path::new("t.csv"),
        )
        .unwrap();
        assert_eq!(enc.categories(), ["Biscoe", "Dream", "Torgersen"]);
        assert_eq!(enc.output_names(), ["island=Biscoe", "island=Dream", "island=Torgersen"]);
        // OneHotEncoder().fit(X).transform([["Torgersen"], ["Biscoe"]]).toarray()
        //   -> [[0., 0., 1.], [1., 0., 0.]]
        assert_eq!(encode(&enc, &["Torgersen", "Biscoe"]).unwrap(), [0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
        // Integer columns sort numerically: OneHotEncoder().fit([[10], [9], [2]]).categories_
        //   -> [array([ 2,  9, 10])]
        let enc = OneHotEncoder::fit("n", &s(&["10", "9", "2"]), HandleUnknown::Error, 10, Path::new("t.csv")).unwrap();
        assert_eq!(enc.categories(), ["2", "9", "10"]);
        // Mixed text sorts by code point: sorted(["b", "B", "a", "10", "9"]) -> ['10', '9', 'B', 'a', 'b']
        let enc =
            OneHotEncoder::fit("t", &s(&["b", "B", "a", "10", "9"]), HandleUnknown::Error, 10, Path::new("t.csv"))
                .unwrap();
        assert_eq!(enc.categories(), ["10", "9", "B", "a", "b"]);
    }

    #[test]
    fn unknown_is_an_error_or_zeros() {
        let enc = OneHotEncoder::fit("island", &s(&["Dream", "Biscoe"]), HandleUnknown::Error, 10, Path::new("t.csv"))
            .unwrap();
        let e = encode(&enc, &["Dream", "Atlantis"]).unwrap_err().to_string();
        assert!(e.contains("t.csv: line 3, column 3 (`island`): category `Atlantis` was not seen in training (known: Biscoe, Dream)"), "{e}");
        // OneHotEncoder(handle_unknown="ignore").fit([["Dream"], ["Biscoe"]]).transform([["Atlantis"], ["Dream"]]).toarray()
        //   -> [[0., 0.], [0., 1.]]
        let enc = OneHotEncoder { handle_unknown: HandleUnknown::Ignore, ..enc };
        assert_eq!(encode(&enc, &["Atlantis", "Dream"]).unwrap(), [0.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn max_categories_names_column_and_file() {
        let e = OneHotEncoder::fit("id", &s(&["a", "b", "c"]), HandleUnknown::Error, 2, Path::new("t.csv"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.csv: column `id` has 3 categories, more than `max_categories` = 2"), "{e}");
    }

    #[test]
    fn stored_encoders_are_checked() {
        let ok = r#"{"column":"c","categories":["a","b"],"handle_unknown":"ignore"}"#;
        let enc: OneHotEncoder = serde_json::from_str(ok).unwrap();
        assert_eq!(serde_json::to_string(&enc).unwrap(), ok);
        for bad in [
            r#"{"column":"c","categories":[],"handle_unknown":"error"}"#,
            r#"{"column":"c","categories":["b","a"],"handle_unknown":"error"}"#,
            r#"{"column":"c","categories":["a","a"],"handle_unknown":"error"}"#,
            r#"{"column":"","categories":["a"],"handle_unknown":"error"}"#,
            r#"{"column":"c","categories":["a"],"handle_unknown":"maybe"}"#,
        ] {
            assert!(serde_json::from_str::<OneHotEncoder>(bad).is_err(), "{bad}");
        }
    }
}
