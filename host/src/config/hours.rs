//! Business hours in the tenant's time zone, and the [`Clock`] policies see.

use super::notices::Language;
use baton_plugin_sdk::Clock;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};
use std::collections::BTreeSet;

/// Minutes in a day: the end of a range that runs to midnight.
pub const MINUTES_PER_DAY: u16 = 1440;

/// The keys of `[hours]` for each weekday, Monday first.
pub const DAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// How far ahead [`Hours::next_opening`] looks.
const LOOKAHEAD_DAYS: i32 = 400;

/// Local opening time on one day: `start` inclusive to `end` exclusive, in minutes since
/// midnight (`end` may be 1440, midnight at the end of the day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimeRange {
    /// Opening minute, 0 to 1439.
    pub start: u16,
    /// Closing minute, `start + 1` to 1440.
    pub end: u16,
}

impl TimeRange {
    /// Whether `minute_of_day` falls in the range.
    pub fn contains(&self, minute_of_day: u16) -> bool {
        self.start <= minute_of_day && minute_of_day < self.end
    }
}

/// A tenant's opening hours.
#[derive(Debug, Clone, PartialEq)]
pub struct Hours {
    /// The tenant's time zone; hours and holidays are local to it.
    pub time_zone: TimeZone,
    /// Opening ranges per weekday, Monday first, sorted and not overlapping; `None` when
    /// the tenant has no `[hours]`, meaning always open.
    pub week: Option<[Vec<TimeRange>; 7]>,
    /// Local dates the business is closed all day.
    pub closed_on: BTreeSet<Date>,
}

impl Hours {
    /// Always open, in `time_zone`.
    pub fn always_open(time_zone: TimeZone) -> Self {
        Hours {
            time_zone,
            week: None,
            closed_on: BTreeSet::new(),
        }
    }

    /// The tenant's clock at `now`: local weekday (0 = Monday), local minute of day, and
    /// whether the business is open by its hours and holidays.
    pub fn clock_at(&self, now: Timestamp) -> Clock {
        let local = now.to_zoned(self.time_zone.clone());
        let weekday = local.weekday().to_monday_zero_offset();
        let minute_of_day = local.hour() as u16 * 60 + local.minute() as u16;
        let open = match &self.week {
            None => true,
            Some(week) => {
                !self.closed_on.contains(&local.date())
                    && week[weekday as usize]
                        .iter()
                        .any(|r| r.contains(minute_of_day))
            }
        };
        Clock {
            now_ms: now.as_millisecond(),
            weekday: weekday as u8,
            minute_of_day,
            open,
        }
    }

    /// When the business is next open: `now` itself (in the tenant's zone) when it is open
    /// now, otherwise the start of the next opening range. `None` when it never opens
    /// within about a year.
    ///
    /// An opening time that a daylight-saving change skips (02:30 on a spring-forward day)
    /// moves forward by the gap, as clocks do.
    pub fn next_opening(&self, now: Timestamp) -> Option<Zoned> {
        let local = now.to_zoned(self.time_zone.clone());
        if self.clock_at(now).open {
            return Some(local);
        }
        let week = self.week.as_ref()?;
        let today = local.date();
        for offset in 0..LOOKAHEAD_DAYS {
            let Ok(date) = today.checked_add(offset.days()) else {
                return None;
            };
            if self.closed_on.contains(&date) {
                continue;
            }
            let day = date.weekday().to_monday_zero_offset() as usize;
            for range in &week[day] {
                let (h, m) = ((range.start / 60) as i8, (range.start % 60) as i8);
                let Ok(start) = date.at(h, m, 0, 0).to_zoned(self.time_zone.clone()) else {
                    continue;
                };
                if start.timestamp() > now {
                    return Some(start);
                }
            }
        }
        None
    }

    /// Milliseconds the business is open in `[from, to)`, counted up to `enough` (the
    /// count stops there: callers ask whether that much open time has passed, e.g. the
    /// abandon limit, which runs only in business hours).
    pub fn open_ms_between(&self, from: Timestamp, to: Timestamp, enough: i64) -> i64 {
        let (from_ms, to_ms) = (from.as_millisecond(), to.as_millisecond());
        if to_ms <= from_ms {
            return 0;
        }
        let Some(week) = &self.week else {
            return (to_ms - from_ms).min(enough);
        };
        let at = |date: Date, minute: u16| -> Option<i64> {
            let (date, minute) = match minute {
                MINUTES_PER_DAY => (date.tomorrow().ok()?, 0),
                m => (date, m),
            };
            let (h, m) = ((minute / 60) as i8, (minute % 60) as i8);
            let local = date.at(h, m, 0, 0).to_zoned(self.time_zone.clone()).ok()?;
            Some(local.timestamp().as_millisecond())
        };
        let mut date = from.to_zoned(self.time_zone.clone()).date();
        let last = to.to_zoned(self.time_zone.clone()).date();
        let mut total = 0i64;
        for _ in 0..LOOKAHEAD_DAYS {
            if date > last || total >= enough {
                break;
            }
            if !self.closed_on.contains(&date) {
                let day = date.weekday().to_monday_zero_offset() as usize;
                for range in &week[day] {
                    let (Some(start), Some(end)) = (at(date, range.start), at(date, range.end))
                    else {
                        continue;
                    };
                    total += (end.min(to_ms) - start.max(from_ms)).max(0);
                }
            }
            let Ok(next) = date.tomorrow() else { break };
            date = next;
        }
        total.min(enough)
    }

    /// The `{opens}` phrase for a customer at `now`: "today at 1:00 PM", "tomorrow at 7:00
    /// AM", "Monday at 8:00 AM", or "on Monday, December 28 at 8:00 AM" further out;
    /// "now" when open. `None` when the business never opens.
    pub fn opens_phrase(&self, now: Timestamp) -> Option<String> {
        self.opens_phrase_in(now, Language::En)
    }

    /// [`Hours::opens_phrase`] in `lang`: in Spanish "hoy a las 13:00", "mañana a las
    /// 7:00", "el lunes a las 8:00", "el lunes 28 de diciembre a las 8:00", "ahora".
    pub fn opens_phrase_in(&self, now: Timestamp, lang: Language) -> Option<String> {
        let opens = self.next_opening(now)?;
        let today = now.to_zoned(self.time_zone.clone()).date();
        Some(match (opens.timestamp() <= now, lang) {
            (true, Language::En) => "now".to_string(),
            (true, Language::Es) => "ahora".to_string(),
            (false, Language::En) => describe_opening(today, &opens),
            (false, Language::Es) => describe_opening_es(today, &opens),
        })
    }
}

/// "tomorrow at 7:00 AM" for `opens` seen from the local date `today`.
pub fn describe_opening(today: Date, opens: &Zoned) -> String {
    let time = clock_time(opens.hour(), opens.minute());
    let days = (opens.date() - today).get_days();
    let day = match days {
        i32::MIN..=0 => "today".to_string(),
        1 => "tomorrow".to_string(),
        2..=6 => weekday_name(opens.weekday()).to_string(),
        _ => format!(
            "on {}, {} {}",
            weekday_name(opens.weekday()),
            month_name(opens.month()),
            opens.day()
        ),
    };
    format!("{day} at {time}")
}

/// "mañana a las 7:00" for `opens` seen from the local date `today` (24-hour clock, as
/// Spanish-speaking customers read times).
fn describe_opening_es(today: Date, opens: &Zoned) -> String {
    let at = match opens.hour() {
        1 => "a la",
        _ => "a las",
    };
    let time = format!("{}:{:02}", opens.hour(), opens.minute());
    let weekday = dia(opens.weekday());
    let day = match (opens.date() - today).get_days() {
        i32::MIN..=0 => "hoy".to_string(),
        1 => "mañana".to_string(),
        2..=6 => format!("el {weekday}"),
        _ => format!("el {weekday} {} de {}", opens.day(), mes(opens.month())),
    };
    format!("{day} {at} {time}")
}

fn dia(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "lunes",
        Weekday::Tuesday => "martes",
        Weekday::Wednesday => "miércoles",
        Weekday::Thursday => "jueves",
        Weekday::Friday => "viernes",
        Weekday::Saturday => "sábado",
        Weekday::Sunday => "domingo",
    }
}

fn mes(month: i8) -> &'static str {
    const NAMES: [&str; 12] = [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ];
    NAMES
        .get((month as usize).wrapping_sub(1))
        .copied()
        .unwrap_or("?")
}

/// `7:00 AM`, `12:30 PM`.
fn clock_time(hour: i8, minute: i8) -> String {
    let (h12, ampm) = match hour {
        0 => (12, "AM"),
        1..=11 => (hour, "AM"),
        12 => (12, "PM"),
        _ => (hour - 12, "PM"),
    };
    format!("{h12}:{minute:02} {ampm}")
}

fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "Monday",
        Weekday::Tuesday => "Tuesday",
        Weekday::Wednesday => "Wednesday",
        Weekday::Thursday => "Thursday",
        Weekday::Friday => "Friday",
        Weekday::Saturday => "Saturday",
        Weekday::Sunday => "Sunday",
    }
}

fn month_name(month: i8) -> &'static str {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    NAMES
        .get((month as usize).wrapping_sub(1))
        .copied()
        .unwrap_or("?")
}

/// Why a day's hours don't parse: the message, its help, and the byte range of the bad
/// part of the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HoursError {
    pub message: String,
    pub help: Option<String>,
    pub at: std::ops::Range<usize>,
}

const HOURS_HELP: &str = "write 24-hour ranges like `07:00-18:00`, several separated by commas (`08:00-12:00,13:00-17:00`), or `closed`";

/// Parse one day's value: `closed`, or `HH:MM-HH:MM[,HH:MM-HH:MM...]` (24-hour; an end of
/// `24:00` means midnight). Ranges come back sorted; overlapping ranges are an error.
pub(crate) fn parse_day(day: &str, value: &str) -> Result<Vec<TimeRange>, HoursError> {
    if value.trim().eq_ignore_ascii_case("closed") {
        return Ok(Vec::new());
    }
    let mut ranges: Vec<(TimeRange, std::ops::Range<usize>)> = Vec::new();
    let mut offset = 0;
    for part in value.split(',') {
        let at = offset..offset + part.len();
        offset += part.len() + 1;
        let lead = part.len() - part.trim_start().len();
        let text = part.trim();
        let at = if text.is_empty() {
            at
        } else {
            at.start + lead..at.start + lead + text.len()
        };
        let bad = |message: String, help: &str| HoursError {
            message,
            help: Some(help.to_string()),
            at: at.clone(),
        };
        if text.is_empty() {
            return Err(bad(
                format!("an empty time range in `hours.{day}`"),
                HOURS_HELP,
            ));
        }
        let Some((from, to)) = text.split_once('-') else {
            return Err(bad(
                format!("`{text}` in `hours.{day}` is not a time range"),
                HOURS_HELP,
            ));
        };
        let (Some(start), Some(end)) = (parse_time(from.trim()), parse_time(to.trim())) else {
            return Err(bad(
                format!("`{text}` in `hours.{day}` is not a time range"),
                HOURS_HELP,
            ));
        };
        if start >= MINUTES_PER_DAY {
            return Err(bad(
                format!("`{text}` in `hours.{day}` starts at the end of the day"),
                "write midnight at the start of a day as `00:00`",
            ));
        }
        if end <= start {
            return Err(bad(
                if end == start {
                    format!("`{text}` in `hours.{day}` is empty")
                } else {
                    format!("`{text}` in `hours.{day}` ends before it starts")
                },
                "split hours past midnight over two days, e.g. `fri = \"18:00-24:00\"` and `sat = \"00:00-02:00\"`",
            ));
        }
        ranges.push((TimeRange { start, end }, at));
    }
    ranges.sort_by_key(|(r, _)| *r);
    for pair in ranges.windows(2) {
        if pair[1].0.start < pair[0].0.end {
            let (a, b) = (&value[pair[0].1.clone()], &value[pair[1].1.clone()]);
            return Err(HoursError {
                message: format!("`{a}` and `{b}` in `hours.{day}` overlap"),
                help: Some("merge them into one range".to_string()),
                at: pair[1].1.clone(),
            });
        }
    }
    Ok(ranges.into_iter().map(|(r, _)| r).collect())
}

/// `H:MM` or `HH:MM` (00:00 to 24:00) as minutes since midnight.
fn parse_time(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    if !(1..=2).contains(&h.len()) || m.len() != 2 {
        return None;
    }
    if !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) => Some(MINUTES_PER_DAY),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
