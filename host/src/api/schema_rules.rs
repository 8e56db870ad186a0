//! The rules the server enforces that a derived schema cannot say, written into
//! `/openapi.json` so the document describes exactly what is accepted (a client generated
//! from it, or schemathesis, sends nothing the server refuses for a reason it could have
//! known):
//!
//! * no string of a request body holds a NUL (`api/nul.rs` refuses any body with one);
//! * only a bot's message carries `intent` and `confidence`;
//! * the report's `from` and `to` are an RFC 3339 time, a date or an age such as `7d`.
//!
//! What depends on the caller or the tenant stays in prose (an agent's abandon needs a
//! reason; an SMS must be addressed to the tenant's own number).

use std::collections::BTreeSet;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::schema::SchemaFormat;
use utoipa::openapi::schema::{AllOfBuilder, AnyOfBuilder, ArrayItems, ObjectBuilder, Schema};
use utoipa::openapi::schema::{KnownFormat, SchemaType, Type};
use utoipa::openapi::{OpenApi, RefOr};

/// A string with no NUL.
const NO_NUL: &str = "^[^\\u0000]*$";
/// A string with no NUL and at least one character that is not white space.
const NO_NUL_NOT_BLANK: &str = "^[^\\u0000]*[^\\u0000\\s][^\\u0000]*$";
/// An age such as `7d`, `12h` or `90m`, as the report reads it.
const AGE: &str = "^[0-9]{1,9}[dhm]$";

pub(crate) struct SchemaRules;

impl utoipa::Modify for SchemaRules {
    fn modify(&self, openapi: &mut OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let requests = request_schemas(openapi_paths(&openapi.paths), &components.schemas);
        for name in &requests {
            if let Some(RefOr::T(schema)) = components.schemas.get_mut(name) {
                forbid_nul(schema);
            }
        }
        if let Some(RefOr::T(ingest)) = components.schemas.remove("IngestRequest") {
            components
                .schemas
                .insert("IngestRequest".into(), RefOr::T(bot_only(ingest)));
        }
        report_times(openapi);
        headers_are_text(openapi);
    }
}

/// The `$ref` names of every operation's request body.
fn openapi_paths(paths: &utoipa::openapi::Paths) -> Vec<String> {
    let mut refs = Vec::new();
    for item in paths.paths.values() {
        for op in operations(item) {
            let Some(body) = &op.request_body else {
                continue;
            };
            for content in body.content.values() {
                if let Some(RefOr::Ref(r)) = &content.schema {
                    refs.push(ref_name(&r.ref_location));
                }
            }
        }
    }
    refs
}

/// The operations of a path item (the methods the API uses).
fn operations(item: &PathItem) -> impl Iterator<Item = &Operation> {
    [&item.get, &item.put, &item.post, &item.delete, &item.patch]
        .into_iter()
        .flatten()
}

/// The operations of a path item, to change.
pub(super) fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .flatten()
}

fn ref_name(location: &str) -> String {
    location.rsplit('/').next().unwrap_or_default().to_string()
}

/// The request bodies' schemas and every schema they refer to.
fn request_schemas(
    roots: Vec<String>,
    schemas: &std::collections::BTreeMap<String, RefOr<Schema>>,
) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = roots;
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(RefOr::T(s)) = schemas.get(&name) {
            refs_in(s, &mut todo);
        }
    }
    seen
}

fn refs_in(schema: &Schema, out: &mut Vec<String>) {
    let visit = |r: &RefOr<Schema>, out: &mut Vec<String>| match r {
        RefOr::Ref(r) => out.push(ref_name(&r.ref_location)),
        RefOr::T(s) => refs_in(s, out),
    };
    match schema {
        Schema::Object(o) => o.properties.values().for_each(|p| visit(p, out)),
        Schema::Array(a) => {
            if let ArrayItems::RefOrSchema(items) = &a.items {
                visit(items, out)
            }
        }
        Schema::OneOf(x) => x.items.iter().for_each(|p| visit(p, out)),
        Schema::AllOf(x) => x.items.iter().for_each(|p| visit(p, out)),
        Schema::AnyOf(x) => x.items.iter().for_each(|p| visit(p, out)),
        _ => {}
    }
}

fn is_string(t: &SchemaType) -> bool {
    match t {
        SchemaType::Type(t) => *t == Type::String,
        SchemaType::Array(ts) => ts.contains(&Type::String),
        SchemaType::AnyValue => false,
    }
}

/// Every free-text string of `schema` (no pattern, or only "not blank") refuses a NUL.
fn forbid_nul(schema: &mut Schema) {
    let visit = |r: &mut RefOr<Schema>| {
        if let RefOr::T(s) = r {
            forbid_nul(s)
        }
    };
    match schema {
        Schema::Object(o) => {
            if is_string(&o.schema_type) && o.enum_values.is_none() && o.format.is_none() {
                match o.pattern.as_deref() {
                    None => o.pattern = Some(NO_NUL.into()),
                    Some("\\S") => o.pattern = Some(NO_NUL_NOT_BLANK.into()),
                    Some(_) => {}
                }
            }
            o.properties.values_mut().for_each(visit);
        }
        Schema::Array(a) => {
            if let ArrayItems::RefOrSchema(items) = &mut a.items {
                visit(items)
            }
        }
        Schema::OneOf(x) => x.items.iter_mut().for_each(visit),
        Schema::AllOf(x) => x.items.iter_mut().for_each(visit),
        Schema::AnyOf(x) => x.items.iter_mut().for_each(visit),
        _ => {}
    }
}

/// `schema`, plus: unless `role` is `bot`, `intent` and `confidence` are null or absent.
fn bot_only(schema: Schema) -> Schema {
    let bot = ObjectBuilder::new().property(
        "role",
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(["bot"])),
    );
    let null = || ObjectBuilder::new().schema_type(Type::Null);
    let silent = ObjectBuilder::new()
        .property("intent", null())
        .property("confidence", null());
    let rule = AnyOfBuilder::new()
        .description(Some(
            "Only a bot's message (`role` = `bot`) carries `intent` and `confidence`.",
        ))
        .item(bot)
        .item(silent);
    Schema::AllOf(AllOfBuilder::new().item(schema).item(rule).build())
}

/// A header carries text or nothing, never JSON's `null`: an optional header's schema is a
/// string (its absence is the `required: false`).
fn headers_are_text(openapi: &mut OpenApi) {
    use utoipa::openapi::path::ParameterIn;
    for item in openapi.paths.paths.values_mut() {
        for op in operations_mut(item) {
            for p in op.parameters.iter_mut().flatten() {
                if p.parameter_in != ParameterIn::Header {
                    continue;
                }
                if let Some(RefOr::T(Schema::Object(o))) = p.schema.as_mut() {
                    if let SchemaType::Array(types) = &o.schema_type {
                        let rest: Vec<Type> = types
                            .iter()
                            .filter(|t| **t != Type::Null)
                            .cloned()
                            .collect();
                        if let [only] = &rest[..] {
                            o.schema_type = SchemaType::Type(only.clone());
                        }
                    }
                }
            }
        }
    }
}

/// The reports' `from` and `to` (JSON and HTML): an RFC 3339 time, a `YYYY-MM-DD` date or
/// an age.
fn report_times(openapi: &mut OpenApi) {
    for path in ["/v1/report", "/v1/report/html"] {
        if let Some(op) = openapi
            .paths
            .paths
            .get_mut(path)
            .and_then(|item| item.get.as_mut())
        {
            times_of(op);
        }
    }
}

/// An operation's `from` and `to` as the report reads them.
fn times_of(op: &mut Operation) {
    let string = |format: Option<KnownFormat>, pattern: Option<&str>| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(format.map(SchemaFormat::KnownFormat))
            .pattern(pattern)
    };
    for p in op.parameters.iter_mut().flatten() {
        if p.name == "from" || p.name == "to" {
            let forms = AnyOfBuilder::new()
                .item(string(Some(KnownFormat::DateTime), None))
                .item(string(Some(KnownFormat::Date), None))
                .item(string(None, Some(AGE)));
            p.schema = Some(RefOr::T(Schema::AnyOf(forms.build())));
        }
    }
}

#[cfg(test)]
mod tests {
    use regex::Regex;

    #[test]
    fn the_patterns_say_what_the_server_checks() {
        let no_nul = Regex::new(super::NO_NUL).unwrap();
        let not_blank = Regex::new(super::NO_NUL_NOT_BLANK).unwrap();
        assert!(no_nul.is_match("") && no_nul.is_match("héllo"));
        assert!(!no_nul.is_match("a\0b"));
        assert!(
            not_blank.is_match(" x ") && !not_blank.is_match("  ") && !not_blank.is_match("x\0")
        );
        assert!(Regex::new(super::AGE).unwrap().is_match("7d"));
    }
}
