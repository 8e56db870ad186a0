//! Whole numbers as JSON writes them. To JSON (and to the OpenAPI document's `integer`),
//! `5` and `5.0` are the same number; serde's integer types refuse the second. Fields that
//! take a count or a score read either form here, and refuse a fraction or a number out of
//! range with a message that says so.

use serde::de::{self, Deserializer, Visitor};
use std::fmt;
use std::marker::PhantomData;

/// Deserialize an optional whole number (`null` or absent is `None`) into `T`.
pub fn option<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64>,
{
    d.deserialize_option(OptionalWhole(PhantomData))
}

struct OptionalWhole<T>(PhantomData<T>);
struct Whole<T>(PhantomData<T>);

impl<'de, T: TryFrom<i64>> Visitor<'de> for OptionalWhole<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a whole number or null")
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(Whole(PhantomData)).map(Some)
    }
}

impl<'de, T: TryFrom<i64>> Visitor<'de> for Whole<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a whole number")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::custom(format!("{v} is out of range")))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        let v = i64::try_from(v).map_err(|_| E::custom(format!("{v} is out of range")))?;
        self.visit_i64(v)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        // Exactly representable whole numbers only (|v| < 2^53), so nothing is rounded.
        if v.fract() != 0.0 || !v.is_finite() || v.abs() >= 9_007_199_254_740_992.0 {
            return Err(E::custom(format!("{v} is not a whole number")));
        }
        self.visit_i64(v as i64)
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize, Debug)]
    struct Body {
        #[serde(default, deserialize_with = "super::option")]
        n: Option<u32>,
    }

    fn n(json: &str) -> Result<Option<u32>, String> {
        serde_json::from_str::<Body>(json)
            .map(|b| b.n)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn whole_numbers_read_in_either_form_and_fractions_are_refused() {
        assert_eq!(n(r#"{"n": 5}"#), Ok(Some(5)));
        assert_eq!(n(r#"{"n": 5.0}"#), Ok(Some(5)));
        assert_eq!(n(r#"{"n": 5e0}"#), Ok(Some(5)));
        assert_eq!(n(r#"{"n": null}"#), Ok(None));
        assert_eq!(n(r#"{}"#), Ok(None));
        assert!(n(r#"{"n": 5.5}"#)
            .unwrap_err()
            .contains("not a whole number"));
        assert!(n(r#"{"n": -1}"#).unwrap_err().contains("out of range"));
        assert!(n(r#"{"n": 1e300}"#)
            .unwrap_err()
            .contains("not a whole number"));
        assert!(n(r#"{"n": "5"}"#).is_err());
    }
}
