//! A daily bar chart as an SVG string: drawn on the server, so the page needs no chart script
//! and nothing from another origin. Each day is one bar whose `<title>` browsers show on hover.

use std::fmt::Write as _;

use chrono::NaiveDate;

/// The drawing's coordinate system (it scales to the width of its container).
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 230.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 30.0;
/// At most this many date labels, so that 366 days stay readable.
const MAX_DATE_LABELS: usize = 6;

/// `1234567` → `1,234,567`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Round y-axis ticks from 0 to at least `max`: a step of 1, 2 or 5 times a power of ten, at
/// most five steps.
pub fn ticks(max: u64) -> Vec<u64> {
    let raw = max.div_ceil(4).max(1);
    let mut magnitude = 1;
    while magnitude * 10 <= raw {
        magnitude *= 10;
    }
    let step = [1, 2, 5, 10]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10 * magnitude);
    let top = max.div_ceil(step).max(1) * step;
    (0..=top / step).map(|i| i * step).collect()
}

/// Text content with `&`, `<` and `>` escaped (the values are ours, but a chart should not
/// depend on that).
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// One bar per day of `points`; `what` names the figure in each bar's title
/// (`2026-01-05: 1,200 impressions`), `label` describes the whole chart.
pub fn bars(label: &str, what: &str, points: &[(NaiveDate, u64)]) -> String {
    let ticks = ticks(points.iter().map(|(_, v)| *v).max().unwrap_or(0));
    let top = *ticks.last().unwrap_or(&1) as f64;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / points.len().max(1) as f64;
    let gap = if slot > 4.0 { slot * 0.2 } else { 0.0 };
    let what = escape(what);
    let mut svg = String::with_capacity(400 + points.len() * 260);
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        escape(label).replace('"', "&quot;")
    );
    for tick in &ticks {
        let y = TOP + plot_h - (*tick as f64 / top) * plot_h;
        let _ = write!(
            svg,
            r##"<line class="grid" x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#dde1e6"/><text class="tick" x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            WIDTH - RIGHT,
            LEFT - 8.0,
            y + 4.0,
            grouped(*tick)
        );
    }
    let every = points.len().div_ceil(MAX_DATE_LABELS).max(1);
    for (i, (day, value)) in points.iter().enumerate() {
        let x = LEFT + i as f64 * slot;
        let h = (*value as f64 / top) * plot_h;
        let _ = write!(
            svg,
            r##"<g class="day"><title>{day}: {} {what}</title><rect class="hit" x="{x:.2}" y="{TOP}" width="{slot:.2}" height="{plot_h}" fill="transparent"/><rect class="bar" x="{:.2}" y="{:.2}" width="{:.2}" height="{h:.2}" fill="#0a66c2"/></g>"##,
            grouped(*value),
            x + gap / 2.0,
            TOP + plot_h - h,
            (slot - gap).max(0.5),
        );
        if i % every == 0 {
            let _ = write!(
                svg,
                r#"<text class="tick" x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
                (x + slot / 2.0).clamp(LEFT + 18.0, WIDTH - RIGHT - 18.0),
                HEIGHT - 10.0,
                day.format("%-d %b")
            );
        }
    }
    let _ = write!(
        svg,
        r##"<line class="axis" x1="{LEFT}" x2="{0}" y1="{1}" y2="{1}" stroke="#5e6670"/></svg>"##,
        WIDTH - RIGHT,
        TOP + plot_h
    );
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_maximum() {
        assert_eq!(ticks(0), vec![0, 1]);
        assert_eq!(ticks(3), vec![0, 1, 2, 3]);
        assert_eq!(ticks(180), vec![0, 50, 100, 150, 200]);
        assert_eq!(ticks(1_500), vec![0, 500, 1_000, 1_500]);
        assert_eq!(ticks(1_501), vec![0, 500, 1_000, 1_500, 2_000]);
        for max in [1, 7, 99, 12_345, 999_999] {
            let t = ticks(max);
            assert!(*t.last().unwrap() >= max && t.len() <= 6, "{max}: {t:?}");
        }
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }

    #[test]
    fn one_bar_and_one_title_per_day_and_few_date_labels() {
        let start: NaiveDate = "2025-01-01".parse().unwrap();
        for days in [1, 30, 366] {
            let points: Vec<_> = start
                .iter_days()
                .take(days)
                .enumerate()
                .map(|(i, d)| (d, i as u64))
                .collect();
            let svg = bars("Impressions per day", "impressions", &points);
            assert_eq!(svg.matches(r#"class="bar""#).count(), days);
            assert_eq!(svg.matches("<title>").count(), days);
            let labels = svg.matches(r#"text-anchor="middle""#).count();
            assert!((1..=MAX_DATE_LABELS).contains(&labels), "{days}: {labels}");
        }
    }
}
