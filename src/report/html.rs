//! A small builder for self-contained HTML pages: inline CSS, inline SVG
//! charts, no scripts, fonts or images fetched from anywhere.

use super::chart::Rendered;
use std::fmt::Write;

/// An HTML page under construction.
#[derive(Clone, Debug, Default)]
pub struct Page {
    body: String,
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em auto;max-width:1060px;color:#222;padding:0 1em}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}\
th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}\
pre{background:#f7f7f7;padding:1em;overflow-x:auto;font-size:13px}\
figure{margin:1.5em 0}figure svg{max-width:100%;height:auto}figcaption{color:#555}\
.wide{overflow-x:auto;max-width:100%}.wide table{margin:0.5em 0}\
.question{font-size:1.1em;border-left:4px solid #3b528b;padding:0.2em 0.8em}\
.bad{color:#a40000}.ok{color:#006d2c}";

/// `text` with `<`, `>`, `&` and quotes escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

impl Page {
    /// A page whose first heading is `title`.
    pub fn new(title: &str) -> Page {
        let mut page = Page::default();
        let _ = writeln!(page.body, "<h1>{}</h1>", escape(title));
        page
    }

    /// A section heading.
    pub fn heading(&mut self, text: &str) -> &mut Page {
        let _ = writeln!(self.body, "<h2>{}</h2>", escape(text));
        self
    }

    /// A paragraph of plain text.
    pub fn paragraph(&mut self, text: &str) -> &mut Page {
        let _ = writeln!(self.body, "<p>{}</p>", escape(text));
        self
    }

    /// The question a page answers, set off from the text.
    pub fn question(&mut self, text: &str) -> &mut Page {
        let _ = writeln!(self.body, "<p class=\"question\">{}</p>", escape(text));
        self
    }

    /// A list of lines, each led by its name in bold.
    pub fn named_list(&mut self, items: &[(String, String)]) -> &mut Page {
        self.body.push_str("<ul>\n");
        for (name, line) in items {
            let _ = writeln!(
                self.body,
                "<li><b>{}</b>: {}</li>",
                escape(name),
                escape(line)
            );
        }
        self.body.push_str("</ul>\n");
        self
    }

    /// Preformatted text (e.g. the scenario's TOML).
    pub fn pre(&mut self, text: &str) -> &mut Page {
        let _ = writeln!(self.body, "<pre>{}</pre>", escape(text));
        self
    }

    /// A table; cells are plain text.
    pub fn table(&mut self, header: &[&str], rows: &[Vec<String>]) -> &mut Page {
        self.body.push_str(&table_html(header, rows));
        self
    }

    /// A table folded under a summary line.
    pub fn details(&mut self, summary: &str, header: &[&str], rows: &[Vec<String>]) -> &mut Page {
        let _ = writeln!(
            self.body,
            "<details><summary>{}</summary>\n{}</details>",
            escape(summary),
            table_html(header, rows)
        );
        self
    }

    /// A chart, inline SVG, with its title as caption.
    pub fn figure(&mut self, chart: &Rendered) -> &mut Page {
        let _ = writeln!(
            self.body,
            "<figure id=\"chart-{}\">\n{}\n<figcaption>{}</figcaption></figure>",
            escape(&chart.name),
            strip_xml_declaration(&chart.svg),
            escape(&chart.title)
        );
        self
    }

    /// A drawing made here as SVG text (trusted: built by mqsim, every
    /// text in it escaped), with a caption.
    pub fn drawing(&mut self, id: &str, svg: &str, caption: &str) -> &mut Page {
        let _ = writeln!(
            self.body,
            "<figure id=\"{}\">\n{svg}\n<figcaption>{}</figcaption></figure>",
            escape(id),
            escape(caption)
        );
        self
    }

    /// The whole document.
    pub fn finish(&self, title: &str) -> String {
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{}</body>\n</html>\n",
            escape(title),
            self.body
        )
    }
}

/// A table in a box that scrolls sideways when the table is wider than
/// the page.
fn table_html(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::from("<div class=\"wide\"><table>\n<tr>");
    for h in header {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr>\n");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{}</td>", escape(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table></div>\n");
    out
}

fn strip_xml_declaration(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(at) => &svg[at..],
        None => svg,
    }
}

/// `mean ± half-width` with `digits` decimals (just the mean when the
/// half-width is 0), or `-` when there is no value.
pub(super) fn with_ci(value: Option<(f64, f64)>, scale: f64, digits: usize) -> String {
    if digits == super::duration::DURATION {
        return value.map_or_else(|| "-".into(), |(m, h)| super::duration::human_ci(m, h));
    }
    match value {
        Some((m, h)) if !m.is_finite() => {
            let _ = h;
            "-".into()
        }
        Some((m, h)) if h > 0.0 => format!("{:.digits$} ± {:.digits$}", m * scale, h * scale),
        Some((m, _)) => format!("{:.digits$}", m * scale),
        None => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_builds_a_complete_document() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        let mut page = Page::new("t<1>");
        page.table(&["k", "v"], &[vec!["x".into(), "1".into()]]);
        let html = page.finish("t");
        assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"));
        assert!(html.contains("<h1>t&lt;1&gt;</h1>") && html.contains("<td>x</td><td>1</td>"));
        assert!(!html.contains("<script") && !html.contains("http"));
        assert_eq!(with_ci(Some((1.0, 0.25)), 1e3, 1), "1000.0 ± 250.0");
        assert_eq!(with_ci(Some((f64::NAN, 0.0)), 1.0, 1), "-");
    }
}
