//! The articles' flowchart drawn with `decide`'s answers: each question
//! with the numbers that decided it, "no" down to the next question,
//! "yes" across to what it leads to; the path taken drawn bold and the
//! outcome it reached filled.

use super::Answer;
use crate::report::escape;
use std::fmt::Write;

const WIDTH: f64 = 1000.0;
const QUESTION_W: f64 = 700.0;
const OUTCOME_X: f64 = 770.0;
const OUTCOME_W: f64 = 220.0;
const LINE: f64 = 15.0;
const GAP: f64 = 34.0;
/// Characters per evidence line at 11 px.
const WRAP: usize = 118;

/// Words of `text` in lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The flowchart as SVG text.
pub(super) fn svg(answers: &[Answer]) -> String {
    // The path taken: every question up to the first yes.
    let reached = answers.iter().position(|a| a.yes);
    let mut body = String::new();
    let mut y = 10.0;
    for (i, a) in answers.iter().enumerate() {
        let on_path = reached.is_none_or(|r| i <= r);
        let mut evidence = wrap(&a.evidence, WRAP);
        if let Some(d) = &a.disagreement {
            evidence.extend(wrap(&format!("Rule of thumb vs measured: {d}"), WRAP));
        }
        let height = 30.0 + LINE * evidence.len() as f64;
        let stroke = if on_path { "#3b528b" } else { "#bbb" };
        let width = if on_path { 2.5 } else { 1.0 };
        let _ = writeln!(
            body,
            "<rect x=\"10\" y=\"{y}\" width=\"{QUESTION_W}\" height=\"{height}\" rx=\"6\" fill=\"#f5f7fb\" stroke=\"{stroke}\" stroke-width=\"{width}\"/>\
             <text x=\"22\" y=\"{}\" font-size=\"13\" font-weight=\"bold\" fill=\"#222\">{}. {}</text>",
            y + 19.0,
            i + 1,
            escape(a.question.text())
        );
        for (k, line) in evidence.iter().enumerate() {
            let _ = writeln!(
                body,
                "<text x=\"22\" y=\"{}\" font-size=\"11\" fill=\"#444\">{}</text>",
                y + 36.0 + LINE * k as f64,
                escape(line)
            );
        }
        // Yes: across to the outcome.
        let mid = y + height / 2.0;
        let taken = reached == Some(i);
        let (fill, text_fill, arrow, arrow_w) = if taken {
            ("#3b528b", "#fff", "#3b528b", 3.0)
        } else {
            ("#fff", "#555", "#bbb", 1.0)
        };
        let _ = writeln!(
            body,
            "<line x1=\"{}\" y1=\"{mid}\" x2=\"{OUTCOME_X}\" y2=\"{mid}\" stroke=\"{arrow}\" stroke-width=\"{arrow_w}\" marker-end=\"url(#arrow)\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"{arrow}\">yes</text>\
             <rect x=\"{OUTCOME_X}\" y=\"{}\" width=\"{OUTCOME_W}\" height=\"32\" rx=\"16\" fill=\"{fill}\" stroke=\"{arrow}\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\" fill=\"{text_fill}\">{}</text>",
            10.0 + QUESTION_W,
            20.0 + QUESTION_W,
            mid - 5.0,
            mid - 16.0,
            OUTCOME_X + OUTCOME_W / 2.0,
            mid + 4.0,
            escape(a.question.then())
        );
        y += height;
        // No: down to the next question (or, after the last, the ranking).
        let down = reached.is_none_or(|r| i < r);
        let stroke = if down { "#3b528b" } else { "#bbb" };
        let w = if down { 2.5 } else { 1.0 };
        let _ = writeln!(
            body,
            "<line x1=\"60\" y1=\"{y}\" x2=\"60\" y2=\"{}\" stroke=\"{stroke}\" stroke-width=\"{w}\" marker-end=\"url(#arrow)\"/>\
             <text x=\"68\" y=\"{}\" font-size=\"12\" fill=\"{stroke}\">no</text>",
            y + GAP - 4.0,
            y + GAP / 2.0 + 4.0
        );
        y += GAP;
    }
    let end = if reached.is_none() {
        "None said yes and none is simple enough: the ranking decides"
    } else {
        "(not reached)"
    };
    let _ = writeln!(
        body,
        "<text x=\"22\" y=\"{}\" font-size=\"12\" fill=\"#444\">{}</text>",
        y + 10.0,
        escape(end)
    );
    let height = y + 24.0;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" font-family=\"sans-serif\">\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\">\
         <path d=\"M0,0 L10,5 L0,10 z\" fill=\"#3b528b\"/></marker></defs>\n{body}</svg>"
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn words_wrap_within_the_width() {
        let lines = super::wrap("aaa bbb ccc ddd", 7);
        assert_eq!(lines, ["aaa bbb", "ccc ddd"]);
        assert!(super::wrap("", 7).is_empty());
    }
}
