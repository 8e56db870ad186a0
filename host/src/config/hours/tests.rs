//! Tests of business hours, the clock and openings, across daylight-saving changes.
use super::*;

fn ts(s: &str) -> Timestamp {
    s.parse().expect("test timestamp")
}

fn chicago_weekdays() -> Hours {
    let r = |s: &str| parse_day("mon", s).expect("test hours");
    Hours {
        time_zone: TimeZone::get("America/Chicago").expect("tz"),
        week: Some([
            r("07:00-18:00"),
            r("07:00-18:00"),
            r("07:00-18:00"),
            r("07:00-18:00"),
            r("07:00-18:00"),
            r("08:00-12:00"),
            r("01:00-04:00"),
        ]),
        closed_on: [Date::constant(2026, 12, 25)].into_iter().collect(),
    }
}

#[test]
fn parses_days() {
    let r = |start, end| TimeRange { start, end };
    assert_eq!(parse_day("mon", "closed"), Ok(vec![]));
    assert_eq!(parse_day("mon", "07:00-18:00"), Ok(vec![r(420, 1080)]));
    assert_eq!(
        parse_day("mon", "13:00-17:00, 8:00-12:00"),
        Ok(vec![r(480, 720), r(780, 1020)])
    );
    assert_eq!(parse_day("mon", "00:00-24:00"), Ok(vec![r(0, 1440)]));
    let err = |s: &str| parse_day("mon", s).err().map(|e| (e.message, e.at));
    assert_eq!(
        err("7am-6pm"),
        Some(("`7am-6pm` in `hours.mon` is not a time range".into(), 0..7))
    );
    assert_eq!(
        err("08:00-12:00,22:00-02:00"),
        Some((
            "`22:00-02:00` in `hours.mon` ends before it starts".into(),
            12..23
        ))
    );
    assert_eq!(
        err("08:00-12:00, 11:00-13:00"),
        Some((
            "`08:00-12:00` and `11:00-13:00` in `hours.mon` overlap".into(),
            13..24
        ))
    );
    assert!(err("24:00-24:00").is_some());
    assert!(err("07:60-08:00").is_some());
    assert!(err("").is_some());
    assert!(err("07:00-18:00,").is_some());
}

#[test]
fn clock_follows_local_time_across_dst() {
    let h = chicago_weekdays();
    // Sunday 8 March 2026: Chicago springs forward at 02:00 CST to 03:00 CDT.
    let before = h.clock_at(ts("2026-03-08T07:59:00Z"));
    assert_eq!(
        (before.weekday, before.minute_of_day, before.open),
        (6, 119, true)
    );
    let after = h.clock_at(ts("2026-03-08T08:00:00Z"));
    assert_eq!(
        (after.weekday, after.minute_of_day, after.open),
        (6, 180, true)
    );
    assert_eq!(after.now_ms, ts("2026-03-08T08:00:00Z").as_millisecond());
    let closed = h.clock_at(ts("2026-03-08T09:00:00Z"));
    assert_eq!((closed.minute_of_day, closed.open), (240, false));
    // Monday 07:00 is 13:00 UTC before the change and 12:00 UTC after it.
    assert!(h.clock_at(ts("2026-03-02T13:00:00Z")).open);
    assert!(!h.clock_at(ts("2026-03-02T12:59:00Z")).open);
    assert!(h.clock_at(ts("2026-03-09T12:00:00Z")).open);
    assert!(!h.clock_at(ts("2026-03-09T11:59:00Z")).open);
    // Sunday 1 November 2026: 01:30 happens twice; both are open, local minute 90.
    for t in ["2026-11-01T06:30:00Z", "2026-11-01T07:30:00Z"] {
        let c = h.clock_at(ts(t));
        assert_eq!((c.weekday, c.minute_of_day, c.open), (6, 90, true), "{t}");
    }
}

#[test]
fn holidays_close_the_day() {
    let h = chicago_weekdays();
    // Friday 25 December 2026, 10:00 CST.
    assert!(!h.clock_at(ts("2026-12-25T16:00:00Z")).open);
    assert!(h.clock_at(ts("2026-12-24T16:00:00Z")).open);
    let next = h.next_opening(ts("2026-12-25T16:00:00Z")).expect("opens");
    assert_eq!(
        next.to_string(),
        "2026-12-26T08:00:00-06:00[America/Chicago]"
    );
}

#[test]
fn next_opening_and_phrase() {
    let h = chicago_weekdays();
    // Saturday 7 March 2026, 13:00 CST: closed; next is Sunday 01:00 CST.
    let sat = ts("2026-03-07T19:00:00Z");
    assert_eq!(h.opens_phrase(sat).as_deref(), Some("tomorrow at 1:00 AM"));
    // Sunday 8 March, 05:00 CDT: next is Monday 07:00 CDT = 12:00 UTC.
    let sun = ts("2026-03-08T10:00:00Z");
    let next = h.next_opening(sun).expect("opens");
    assert_eq!(next.timestamp(), ts("2026-03-09T12:00:00Z"));
    assert_eq!(h.opens_phrase(sun).as_deref(), Some("tomorrow at 7:00 AM"));
    // Open now.
    let mon = ts("2026-03-09T15:00:00Z");
    assert_eq!(h.next_opening(mon).map(|z| z.timestamp()), Some(mon));
    assert_eq!(h.opens_phrase(mon).as_deref(), Some("now"));
    // Monday 19:00 CDT: tomorrow.
    assert_eq!(
        h.opens_phrase(ts("2026-03-10T00:00:00Z")).as_deref(),
        Some("tomorrow at 7:00 AM")
    );
    // Monday 05:00 CDT: today.
    assert_eq!(
        h.opens_phrase(ts("2026-03-09T10:00:00Z")).as_deref(),
        Some("today at 7:00 AM")
    );
}

#[test]
fn phrase_names_weekdays_and_dates() {
    let tz = TimeZone::get("America/Chicago").expect("tz");
    let only_mon = Hours {
        time_zone: tz.clone(),
        week: Some([
            parse_day("mon", "08:00-12:00").expect("mon"),
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![],
        ]),
        closed_on: BTreeSet::new(),
    };
    // Friday 6 March 2026, 18:00 CST.
    assert_eq!(
        only_mon.opens_phrase(ts("2026-03-07T00:00:00Z")).as_deref(),
        Some("Monday at 8:00 AM")
    );
    // Monday 9 March 2026 13:00 CDT: a week ahead.
    assert_eq!(
        only_mon.opens_phrase(ts("2026-03-09T18:00:00Z")).as_deref(),
        Some("on Monday, March 16 at 8:00 AM")
    );
    let never = Hours {
        time_zone: tz.clone(),
        week: Some(Default::default()),
        closed_on: BTreeSet::new(),
    };
    assert_eq!(never.next_opening(ts("2026-03-07T00:00:00Z")), None);
    let always = Hours::always_open(tz);
    assert!(always.clock_at(ts("2026-12-25T00:00:00Z")).open);
    assert_eq!(clock_time(0, 5), "12:05 AM");
    assert_eq!(clock_time(12, 30), "12:30 PM");
    assert_eq!(clock_time(23, 0), "11:00 PM");
}

#[test]
fn open_time_between_counts_only_business_hours() {
    let h = chicago_weekdays();
    let hour = 3_600_000;
    // Thursday 17:00 to Friday 08:00 Chicago (UTC-6): one hour Thursday, one Friday.
    let (thu_17, fri_08) = (ts("2026-12-03T23:00:00Z"), ts("2026-12-04T14:00:00Z"));
    assert_eq!(h.open_ms_between(thu_17, fri_08, i64::MAX), 2 * hour);
    // The count stops at `enough`.
    assert_eq!(h.open_ms_between(thu_17, fri_08, hour / 2), hour / 2);
    // Christmas (a Friday, closed) counts nothing; nor does a stretch in the night.
    let (xmas, next_day) = (ts("2026-12-25T06:00:00Z"), ts("2026-12-26T06:00:00Z"));
    assert_eq!(h.open_ms_between(xmas, next_day, i64::MAX), 0);
    let night = (ts("2026-12-03T02:00:00Z"), ts("2026-12-03T10:00:00Z"));
    assert_eq!(h.open_ms_between(night.0, night.1, i64::MAX), 0);
    // Always open: wall time; backwards: nothing.
    let open = Hours::always_open(TimeZone::UTC);
    assert_eq!(open.open_ms_between(thu_17, fri_08, i64::MAX), 15 * hour);
    assert_eq!(h.open_ms_between(fri_08, thu_17, i64::MAX), 0);
}
