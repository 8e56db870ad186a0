//! `GET /v1/report`: the tenant's outcome figures, context loss and shadow comparison;
//! `GET /v1/report/html`: the same figures as the page `baton report --html` writes.

use super::auth::Caller;
use super::error::ApiError;
use super::extract::Query;
use super::AppState;
use crate::report::{self, GroupBy, Report};
use crate::store::KeyRole;
use axum::extract::State;
use baton_plugin_sdk::text::{clip, QUOTE_CHARS};
use serde::Deserialize;

/// Longest window one report covers, days.
pub const MAX_WINDOW_DAYS: i64 = 400;

/// Query of `GET /v1/report`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// Start (RFC 3339, `YYYY-MM-DD` UTC, or an age such as `7d`), inclusive; default 30
    /// days before `to`.
    from: Option<String>,
    /// End (same forms), exclusive; default now.
    to: Option<String>,
    /// `policy_version`, `reason`, `queue`, `agent` or `channel`.
    #[param(pattern = "^(policy_version|reason|queue|agent|channel)$")]
    group_by: Option<String>,
}

/// A time given as RFC 3339, a UTC date or an age (`7d`).
fn parse_time(field: &str, s: &str, now_ms: i64) -> Result<i64, ApiError> {
    report::parse_when(s, now_ms).ok_or_else(|| {
        ApiError::invalid(
            field,
            format!(
                "`{}` is not an RFC 3339 time, a YYYY-MM-DD date or an age such as `7d`",
                clip(s, QUOTE_CHARS)
            ),
        )
    })
}

/// Query of `GET /v1/report/html`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Start (RFC 3339, `YYYY-MM-DD` UTC, or an age such as `7d`), inclusive; default 30
    /// days before `to`.
    from: Option<String>,
    /// End (same forms), exclusive; default now.
    to: Option<String>,
}

/// Who reads reports: the tenant's agents and its manager. The report quotes customers'
/// messages, which operator keys never see.
const READERS: &[KeyRole] = &[KeyRole::Agent, KeyRole::Manager];

/// The window `[from, to)` asked for, on the desk's clock.
fn window(from: Option<&str>, to: Option<&str>, now: i64) -> Result<(i64, i64), ApiError> {
    let to = match to {
        Some(s) => parse_time("to", s, now)?,
        None => now,
    };
    let from = match from {
        Some(s) => parse_time("from", s, now)?,
        None => to - 30 * 86_400_000,
    };
    if from >= to {
        return Err(ApiError::invalid("from", "`from` must be before `to`"));
    }
    if to - from > MAX_WINDOW_DAYS * 86_400_000 {
        return Err(ApiError::invalid(
            "from",
            format!("a report covers at most {MAX_WINDOW_DAYS} days"),
        ));
    }
    Ok((from, to))
}

/// The tenant's figures for `[from, to)`: conversations that started in it, handoffs that
/// opened in it.
///
/// Conversation figures (conversations, bot response time, faults) are over the
/// conversations that **started** in the window; handoff figures over the handoffs that
/// **opened** in it, whenever their conversation started (a returning SMS customer's later
/// handoff counts on its own day). See the `Figures` schema for each definition:
/// conversations, handoffs, handoff rate, time to accept and handle time (nearest-rank p50
/// and p90, ms), first-contact resolution, bot response time, CSAT (average and count),
/// abandoned handoffs, handbacks, faults and the context-loss rate, each finding listed in
/// `context_loss` with the message and evidence. `shadow` compares the live and shadow
/// triggers per message and scores both against recorded outcomes. An agent or manager key
/// of the tenant is required: the report quotes customers' messages, which operator keys
/// never see.
#[utoipa::path(
    get, path = "/v1/report", tag = "report", operation_id = "get_report", params(ReportQuery),
    responses((status = 200, body = Report), (status = 401, body = super::error::ErrorBody),
              (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = ["agent", "manager"]))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ReportQuery>,
) -> Result<axum::Json<Report>, ApiError> {
    let tenant = caller.tenant()?;
    caller.require(READERS)?;
    let now = state.desk.clock().now_ms();
    let (from, to) = window(q.from.as_deref(), q.to.as_deref(), now)?;
    let group_by = match q.group_by.as_deref() {
        None => None,
        Some(s) => Some(GroupBy::parse(s).ok_or_else(|| {
            ApiError::invalid(
                "group_by",
                format!(
                    "`{}` is not a grouping: use policy_version, reason, queue, agent or channel",
                    clip(s, 40)
                ),
            )
        })?),
    };
    let report = report::load(state.desk.store(), tenant, from, to, group_by).await?;
    Ok(axum::Json(report))
}

/// The tenant's report for `[from, to)` as one self-contained HTML page (inline SVG charts,
/// no external assets): the figures of `GET /v1/report` over the same window, the page
/// `baton report --html` writes. An agent or manager key of the tenant is required.
#[utoipa::path(
    get, path = "/v1/report/html", tag = "report", operation_id = "get_report_html", params(PageQuery),
    responses((status = 200, content_type = "text/html", body = String), (status = 401, body = super::error::ErrorBody),
              (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = ["agent", "manager"]))
)]
pub async fn html(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> Result<axum::response::Html<String>, ApiError> {
    let tenant = caller.tenant()?;
    caller.require(READERS)?;
    let now = state.desk.clock().now_ms();
    let (from, to) = window(q.from.as_deref(), q.to.as_deref(), now)?;
    let page = report::load_page(state.desk.store(), tenant, from, to).await?;
    Ok(axum::response::Html(page.html))
}
