//! The results table: medians side by side, ratios, and whether each target is met.

use crate::stats::median;

/// One line of the table.
pub struct Row {
    /// What was measured.
    pub what: String,
    /// Unit of the three value columns.
    pub unit: &'static str,
    /// Samples of Cirrus.
    pub cirrus: Vec<f64>,
    /// Samples of the wire baseline (curl), if any.
    pub wire: Vec<f64>,
    /// Samples of the Python SDK, if any.
    pub python: Vec<f64>,
    /// Targets: `(label, achieved ratio, required ratio)`; higher is better.
    pub targets: Vec<(String, f64, f64)>,
}

fn cell(xs: &[f64]) -> String {
    if xs.is_empty() {
        "—".into()
    } else {
        let m = median(xs);
        if m >= 100.0 {
            format!("{m:.0}")
        } else {
            format!("{m:.2}")
        }
    }
}

/// Renders the rows as a Markdown table under `title`.
pub fn render(title: &str, rows: &[Row]) -> String {
    let mut s = format!("{title}\n\n");
    s.push_str("| Measurement | Unit | Cirrus | curl (wire) | Python SDK | Target | Result |\n");
    s.push_str("|---|---|---:|---:|---:|---|---|\n");
    for r in rows {
        let targets: Vec<String> = r
            .targets
            .iter()
            .map(|(label, got, want)| format!("{label} = {got:.2} (≥ {want})"))
            .collect();
        let ok = r.targets.iter().all(|(_, got, want)| got >= want);
        let verdict = if r.targets.is_empty() {
            "info"
        } else if ok {
            "met"
        } else {
            "**missed**"
        };
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            r.what,
            r.unit,
            cell(&r.cirrus),
            cell(&r.wire),
            cell(&r.python),
            targets.join("; "),
            verdict
        ));
    }
    s
}

/// Ratio of two sample medians (0 when the denominator is missing).
pub fn ratio(a: &[f64], b: &[f64]) -> f64 {
    let d = median(b);
    if d == 0.0 { 0.0 } else { median(a) / d }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missed_target_is_marked() {
        let rows = [Row {
            what: "x".into(),
            unit: "MB/s",
            cirrus: vec![90.0],
            wire: vec![100.0],
            python: vec![],
            targets: vec![("vs wire".into(), ratio(&[90.0], &[100.0]), 0.95)],
        }];
        let t = render("T", &rows);
        assert!(t.contains("**missed**"), "{t}");
        assert!(t.contains("0.90"), "{t}");
    }
}
