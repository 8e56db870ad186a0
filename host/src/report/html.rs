//! A self-contained HTML page (inline CSS and SVG, no external assets): the handoff rate,
//! time to accept and CSAT over time per policy version, the totals, context loss and shadow.

use super::series::{Point, Series};
use super::{Figures, Report};
use std::fmt::Write as _;

const COLORS: [&str; 6] = [
    "#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2",
];
const W: f64 = 1040.0;
const H: f64 = 230.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 34.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn stamp(ms: i64) -> String {
    let t = jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default();
    format!(
        "{} {} UTC",
        t.get(0..10).unwrap_or(""),
        t.get(11..16).unwrap_or("")
    )
}

fn date(ms: i64, hourly: bool) -> String {
    let Ok(t) = jiff::Timestamp::from_millisecond(ms) else {
        return String::new();
    };
    let s = t.to_string();
    if hourly {
        s.get(5..13)
            .map(|d| format!("{}h", d.replace('T', " ")))
            .unwrap_or(s)
    } else {
        s.get(0..10).unwrap_or(&s).to_string()
    }
}

struct Chart<'a> {
    title: &'a str,
    unit: &'a str,
    /// `(min, max, step)` of the y axis, or `None` to fit the data with round steps.
    fixed: Option<(f64, f64, f64)>,
    fmt: fn(f64) -> String,
}

/// Points with fewer conversations than this are drawn hollow.
const FEW: u64 = 5;

struct Dot {
    y: f64,
    n: u64,
}

/// A round step (1, 2 or 5 times a power of ten; of minutes for long durations, else of
/// seconds) that splits `max` ms into at most five parts.
fn nice_step(max: f64) -> f64 {
    let unit = if max >= 120_000.0 { 60_000.0 } else { 1_000.0 };
    let scaled = (max / 5.0 / unit).max(1e-9);
    let pow = 10f64.powf(scaled.log10().floor());
    let m = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .find(|m| m * pow >= scaled)
        .unwrap_or(10.0);
    (m * pow).max(1.0) * unit
}

/// Versions in the order they first appear.
fn ordered(series: &Series) -> Vec<(&String, &Vec<Point>)> {
    let mut v: Vec<_> = series.versions.iter().collect();
    v.sort_by_key(|(name, pts)| (pts.first().map(|p| p.at_ms), name.as_str()));
    v
}

type Line<'a> = (usize, &'a String, Vec<(i64, Dot)>);

fn lines<'a>(series: &'a Series, pick: &impl Fn(&Figures) -> Option<f64>) -> Vec<Line<'a>> {
    ordered(series)
        .into_iter()
        .enumerate()
        .map(|(i, (v, pts))| {
            let dots = pts.iter().filter_map(|p| {
                let at = p.at_ms + series.bucket_ms / 2;
                pick(&p.figures).map(|y| {
                    (
                        at,
                        Dot {
                            y,
                            n: p.figures.conversations,
                        },
                    )
                })
            });
            (i, v, dots.collect())
        })
        .collect()
}

fn chart(
    out: &mut String,
    c: &Chart,
    series: &Series,
    (from_ms, to_ms): (i64, i64),
    pick: impl Fn(&Figures) -> Option<f64>,
) {
    let lines = lines(series, &pick);
    let data_max = lines
        .iter()
        .flat_map(|l| l.2.iter().map(|p| p.1.y))
        .fold(0.0f64, f64::max);
    let (min, max, step) = c.fixed.unwrap_or_else(|| {
        let step = nice_step(data_max.max(1000.0));
        (0.0, (data_max / step).ceil().max(1.0) * step, step)
    });
    let (x0, x1) = (from_ms as f64, (to_ms.max(from_ms + 1)) as f64);
    let x = |ms: i64| LEFT + (ms as f64 - x0) / (x1 - x0) * (W - LEFT - RIGHT);
    let y = |v: f64| TOP + (1.0 - (v - min) / (max - min)) * (H - TOP - BOTTOM);
    let _ = write!(
        out,
        "<section><h2>{} <small>{}</small></h2><svg viewBox=\"0 0 {W} {H}\" width=\"100%\" role=\"img\" aria-label=\"{}\">",
        esc(c.title),
        esc(c.unit),
        esc(c.title)
    );
    let yticks = ((max - min) / step).round() as usize;
    for i in 0..=yticks {
        let v = min + step * i as f64;
        let yy = y(v);
        let _ = write!(out, "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" class=\"grid\"/><text x=\"{}\" y=\"{:.1}\" class=\"ylab\">{}</text>", W - RIGHT, LEFT - 6.0, yy + 4.0, (c.fmt)(v));
    }
    let hourly = series.bucket_ms < 86_400_000;
    let xticks = 6;
    for i in 0..=xticks {
        let ms = from_ms + (to_ms - from_ms) * i / xticks;
        let anchor = match i {
            0 => "start",
            i if i == xticks => "end",
            _ => "middle",
        };
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{}\" class=\"xlab\" text-anchor=\"{anchor}\">{}</text>",
            x(ms),
            H - 10.0,
            date(ms, hourly)
        );
    }
    let _ = write!(out, "<line x1=\"{LEFT}\" x2=\"{LEFT}\" y1=\"{TOP}\" y2=\"{}\" class=\"axis\"/><line x1=\"{LEFT}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" class=\"axis\"/>", H - BOTTOM, W - RIGHT, H - BOTTOM, H - BOTTOM);
    if lines.iter().all(|l| l.2.is_empty()) {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" class=\"empty\">no data in this window</text>",
            W / 2.0,
            H / 2.0
        );
    }
    for (i, version, pts) in &lines {
        let color = COLORS[i % COLORS.len()];
        if pts.len() > 1 {
            let path: Vec<String> = pts
                .iter()
                .map(|(t, d)| format!("{:.1},{:.1}", x(*t), y(d.y)))
                .collect();
            let _ = write!(
                out,
                "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" stroke-opacity=\"0.85\" points=\"{}\"/>",
                path.join(" ")
            );
        }
        for (t, d) in pts {
            // Few conversations behind a point: hollow, so it is read with care.
            let fill = if d.n < FEW { "#fff" } else { color };
            let _ = write!(out, "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{fill}\" stroke=\"{color}\" stroke-width=\"1.5\"><title>version {} {}: {} ({} conversations)</title></circle>", x(*t), y(d.y), esc(version), date(*t, hourly), (c.fmt)(d.y), d.n);
        }
    }
    out.push_str("</svg></section>");
}

fn opt(v: Option<f64>, f: fn(f64) -> String) -> String {
    v.map(f).unwrap_or_else(|| "–".into())
}

fn pct(v: f64) -> String {
    format!("{:.0}%", v * 100.0)
}

fn secs(ms: f64) -> String {
    if ms >= 60_000.0 {
        format!("{:.1} min", ms / 60_000.0)
    } else {
        format!("{:.0} s", ms / 1000.0)
    }
}

fn score(v: f64) -> String {
    format!("{v:.1}")
}

fn legend(out: &mut String, series: &Series) {
    out.push_str("<p class=\"legend\">");
    for (i, (v, _)) in ordered(series).into_iter().enumerate() {
        let _ = write!(
            out,
            "<span><i style=\"background:{}\"></i>version {}</span>",
            COLORS[i % COLORS.len()],
            esc(v)
        );
    }
    let _ = write!(
        out,
        "<span class=\"note\">hollow points: fewer than {FEW} conversations</span></p>"
    );
}

fn table(out: &mut String, rows: &[(String, &Figures)]) {
    out.push_str("<table><tr><th>version</th><th>conversations</th><th>handoffs</th><th>handoff rate</th><th>time to accept p50 / p90</th><th>handle time p50</th><th>FCR</th><th>CSAT (n)</th><th>handbacks</th><th>abandoned</th><th>faults</th><th>context loss</th></tr>");
    for (k, f) in rows {
        let _ = write!(out, "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} / {}</td><td>{}</td><td>{}</td><td>{} ({})</td><td>{}</td><td>{}</td><td>{}</td><td>{} ({} of {})</td></tr>",
            esc(k), f.conversations, f.handoffs, opt(f.handoff_rate, pct),
            opt(f.time_to_accept_ms.p50.map(|v| v as f64), secs), opt(f.time_to_accept_ms.p90.map(|v| v as f64), secs),
            opt(f.handle_time_ms.p50.map(|v| v as f64), secs), opt(f.first_contact_resolution, pct),
            opt(f.csat.average, score), f.csat.responses, f.handbacks, f.abandoned, f.faults,
            opt(f.context_loss.rate, pct), f.context_loss.with_context_loss, f.context_loss.accepted_handoffs);
    }
    out.push_str("</table>");
}

/// The page.
pub fn render(report: &Report, series: &Series, from_ms: i64, to_ms: i64) -> String {
    let mut out = String::new();
    let t = esc(&report.tenant);
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Baton report: {t}</title><style>{CSS}</style></head><body><h1>Baton report: {t}</h1><p class=\"sub\">Conversations that started from {} to {}{}.</p>",
        stamp(from_ms),
        stamp(to_ms),
        if report.truncated { " (only the first 20000 were read)" } else { "" }
    );
    legend(&mut out, series);
    let window = (from_ms, to_ms);
    let rate = Chart {
        title: "Handoff rate",
        unit: "conversations with a handoff",
        fixed: Some((0.0, 1.0, 0.25)),
        fmt: pct,
    };
    chart(&mut out, &rate, series, window, |f| f.handoff_rate);
    let accept = Chart {
        title: "Time to accept",
        unit: "median, open to accept",
        fixed: None,
        fmt: secs,
    };
    chart(&mut out, &accept, series, window, |f| {
        f.time_to_accept_ms.p50.map(|v| v as f64)
    });
    let csat = Chart {
        title: "CSAT",
        unit: "average score, 1 to 5",
        fixed: Some((1.0, 5.0, 1.0)),
        fmt: score,
    };
    chart(&mut out, &csat, series, window, |f| f.csat.average);
    out.push_str("<section><h2>Per policy version</h2>");
    let mut rows: Vec<(String, &Figures)> = ordered(series)
        .into_iter()
        .filter_map(|(k, _)| series.totals.get(k).map(|f| (k.clone(), f)))
        .collect();
    rows.push(("all".into(), &report.totals));
    table(&mut out, &rows);
    out.push_str("</section>");
    let _ = write!(out, "<section><h2>Context loss <small>{} finding(s): the customer repeated what the bot already had</small></h2><ul>", report.context_loss.len());
    for f in report.context_loss.iter().take(50) {
        let signal = serde_json::to_value(f.signal)
            .ok()
            .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
            .unwrap_or_default();
        let _ = write!(
            out,
            "<li><code>{}</code> message {}, agent {} ({signal}: <b>{}</b>): “{}”</li>",
            esc(&f.conversation_id),
            f.message_seq,
            esc(f.agent.as_deref().unwrap_or("-")),
            esc(&f.evidence),
            esc(&f.text)
        );
    }
    out.push_str("</ul>");
    if report.context_loss.len() > 50 {
        let _ = write!(
            out,
            "<p class=\"note\">and {} more: every finding is in <code>GET /v1/report</code>.</p>",
            report.context_loss.len() - 50
        );
    }
    out.push_str("</section>");
    if let Some(s) = &report.shadow {
        let _ = write!(out, "<section><h2>Shadow policy</h2><p>{} of {} evaluated messages disagree, in {} conversation(s). Against recorded outcomes ({} positive, {} negative, {} unlabelled conversations): live precision {} recall {}; shadow precision {} recall {}.</p></section>",
            s.disagreements, s.compared, s.conversations_with_disagreement, s.positives, s.negatives, s.unlabelled,
            opt(s.live.precision, pct), opt(s.live.recall, pct), opt(s.shadow.precision, pct), opt(s.shadow.recall, pct));
    }
    out.push_str("<footer>Definitions: see <code>GET /openapi.json</code> (Figures). Generated by baton.</footer></body></html>\n");
    out
}

const CSS: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1080px;color:#111827;padding:0 16px}\
h1{font-size:22px;margin:0}h2{font-size:16px;margin:22px 0 6px}h2 small{font-weight:normal;color:#6b7280;font-size:13px}\
.sub{color:#4b5563;margin:4px 0 8px}.note{color:#6b7280;font-size:12px}.legend span{margin-right:18px;white-space:nowrap}.legend i{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:6px;vertical-align:-1px}\
svg{background:#fff;border:1px solid #e5e7eb;border-radius:6px}.grid{stroke:#eef0f3}.axis{stroke:#9ca3af}\
.ylab{font-size:11px;fill:#6b7280;text-anchor:end}.xlab{font-size:11px;fill:#6b7280}.empty{font-size:13px;fill:#9ca3af;text-anchor:middle}\
table{border-collapse:collapse;width:100%;font-size:12.5px}th,td{border-bottom:1px solid #e5e7eb;padding:5px 6px;text-align:right}th:first-child,td:first-child{text-align:left}td{white-space:nowrap}\
th{background:#f9fafb;font-weight:600}code{font-size:12px}footer{margin-top:24px;color:#9ca3af;font-size:12px}li{margin:3px 0}";
