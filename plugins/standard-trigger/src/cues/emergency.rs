//! `emergency`: danger to people or property now: gas, CO, fire, sparks, water where it
//! should not be (above all near electricity), sewage, a structure giving way, no heat or
//! cooling for someone vulnerable, a child shut in a car.

use super::Ctx;
use crate::lexicon::class;
use crate::text::Msg;
use baton_plugin_sdk::Reason;

/// Words after `water` that name a device or a bill, not a leak.
fn not_a_leak(m: &Msg, end: u16) -> bool {
    (end as usize) < m.len()
        && matches!(
            m.word(end as usize),
            "heater"
                | "heaters"
                | "softener"
                | "bill"
                | "pressure"
                | "filter"
                | "filtration"
                | "meter"
                | "treatment"
                | "test"
                | "quality"
                | "feature"
                | "fountain"
                | "damage"
        )
}

/// Whether the home has lost heat (or cooling) according to any customer message.
fn no_heat(ctx: &Ctx) -> bool {
    ctx.any_live(class::HEAT_LOSS)
        || ctx
            .msgs
            .iter()
            .any(|m| m.live_any(class::HEATING_DEVICE) && m.live_any(class::BROKEN))
}

/// Whether `m` names someone vulnerable (a cue, or a stated child's or elder's age).
fn vulnerable(m: &Msg) -> bool {
    m.live_any(class::VULNERABLE) || m.elderly || m.child
}

/// Detect an emergency in the latest turn: a stock emergency phrase, or a composition of
/// a hazard (water, sewage, heat, sparks, a structure, the air) with how it behaves
/// (uncontrolled, active, worsening) and what it reaches (electrics, people, someone
/// vulnerable).
pub fn detect(ctx: &Ctx) -> Option<String> {
    if let Some(why) = ctx.tenant_phrase(&Reason::Emergency) {
        return Some(why);
    }
    let someone_vulnerable = ctx.msgs.iter().any(vulnerable);
    for m in ctx.current() {
        if let Some(h) = m.first_live(class::EMERGENCY) {
            return Some(format!("the customer reports `{}`", m.phrase(h)));
        }
        let water_hits = || {
            m.of(class::WATER)
                .filter(|h| m.live(h) && !not_a_leak(m, h.end))
        };
        let water = water_hits().next().is_some();
        // A leak, not the bare word `water` ("the water line would come from the island").
        let leak = water_hits().any(|h| !matches!(m.phrase(h), "water" | "agua"));
        // A leak named in the previous message and its flow now ("lot. its all over the
        // garage floor").
        let leak_before = ctx.earlier().last().is_some_and(|e| {
            e.of(class::WATER)
                .any(|h| e.live(h) && !matches!(e.phrase(h), "water" | "agua"))
        });
        if (water || leak_before) && m.live_any(class::UNCONTROLLED) {
            return Some("water is out of control".into());
        }
        if leak && m.live_any(class::ELECTRIC) {
            return Some("water is reaching something electrical".into());
        }
        if m.live_any(class::HOT) && m.live_any(class::ELECTRIC) {
            return Some("electrical equipment is hot, buzzing or scorched".into());
        }
        if vulnerable(m) && m.live_any(class::INJURY) {
            return Some("someone vulnerable is hurt or cannot get up".into());
        }
        if m.live_any(class::STRUCTURAL)
            && (m.live_any(class::ACTIVE) || m.has(class::NEAR) || someone_vulnerable)
        {
            return Some("something heavy is giving way near people or property".into());
        }
        if m.live_any(class::BREATHING)
            && (someone_vulnerable || ctx.msgs.iter().any(|x| x.live_any(class::AIR_HAZARD)))
        {
            return Some("someone is struggling to breathe".into());
        }
        if vulnerable(m) {
            if ctx.msgs.iter().any(|x| x.live_any(class::CAR_LOCKED)) {
                return Some("someone vulnerable is shut inside a vehicle".into());
            }
            if no_heat(ctx) {
                return Some("no heat (or cooling) with someone vulnerable in the home".into());
            }
        }
        if (m.live_any(class::HEAT_LOSS)
            || (m.live_any(class::HEATING_DEVICE) && m.live_any(class::BROKEN)))
            && someone_vulnerable
        {
            return Some("no heat (or cooling) with someone vulnerable in the home".into());
        }
        if m.live_any(class::SYMPTOM)
            && ctx
                .msgs
                .iter()
                .any(|x| x.has(class::HEATING_DEVICE) || x.has(class::EMERGENCY))
        {
            return Some(
                "symptoms near a fuel-burning appliance (possible carbon monoxide)".into(),
            );
        }
    }
    None
}
