//! History in other formats: `format=csv` (a header row, then one row per
//! record; the next-page cursor in the `X-Next-Cursor` header) and, for
//! positions, `format=geojson` (a FeatureCollection of points, the cursor
//! as its `next` member). JSON stays the default.

use std::collections::HashMap;

use axum::Json;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::AppError;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `{"<key>": [...], "next": ...}`.
    Json,
    /// Comma-separated values.
    Csv,
    /// GeoJSON points (records with `lat` and `lon`).
    GeoJson,
}

impl Format {
    /// From the `format` parameter; `geo` says whether GeoJSON makes sense.
    pub fn parse(q: &HashMap<String, String>, geo: bool) -> Result<Self, AppError> {
        match q.get("format").map(String::as_str) {
            None | Some("json") => Ok(Self::Json),
            Some("csv") => Ok(Self::Csv),
            Some("geojson") if geo => Ok(Self::GeoJson),
            Some(other) => Err(AppError::BadRequest(format!(
                "format: expected json, csv{}, got {other:?}",
                if geo { " or geojson" } else { "" }
            ))),
        }
    }
}

/// Renders `rows` (objects with the keys in `columns`) in `format`.
pub fn respond(
    format: Format,
    key: &str,
    columns: &[&str],
    rows: Vec<Value>,
    next: Option<i64>,
) -> Response {
    match format {
        Format::Json => Json(json!({ key: rows, "next": next })).into_response(),
        Format::Csv => {
            let mut out = columns.join(",");
            out.push('\n');
            for r in &rows {
                let cells: Vec<String> = columns.iter().map(|c| csv_cell(&r[*c])).collect();
                out.push_str(&cells.join(","));
                out.push('\n');
            }
            let mut resp = (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/csv; charset=utf-8"),
                )],
                out,
            )
                .into_response();
            if let Some(n) = next.and_then(|n| HeaderValue::from_str(&n.to_string()).ok()) {
                resp.headers_mut().insert("x-next-cursor", n);
            }
            resp
        }
        Format::GeoJson => {
            let features: Vec<Value> = rows
                .into_iter()
                .filter_map(|r| {
                    let Value::Object(mut props) = r else {
                        return None;
                    };
                    let lat = props.remove("lat")?.as_f64()?;
                    let lon = props.remove("lon")?.as_f64()?;
                    Some(json!({
                        "type": "Feature",
                        "geometry": { "type": "Point", "coordinates": [lon, lat] },
                        "properties": Value::Object(props.into_iter().collect::<Map<_, _>>()),
                    }))
                })
                .collect();
            (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/geo+json"),
                )],
                Json(json!({ "type": "FeatureCollection", "features": features, "next": next })),
            )
                .into_response()
        }
    }
}

/// One CSV cell: numbers as they are, text quoted when it needs it, null empty.
fn csv_cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) if s.contains([',', '"', '\n', '\r']) => {
            format!("\"{}\"", s.replace('"', "\"\""))
        }
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_only_when_needed() {
        assert_eq!(csv_cell(&json!("KLM1302")), "KLM1302");
        assert_eq!(csv_cell(&json!("a,b")), "\"a,b\"");
        assert_eq!(csv_cell(&json!("say \"hi\"")), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell(&json!(null)), "");
        assert_eq!(csv_cell(&json!(1.5)), "1.5");
    }

    #[test]
    fn unknown_formats_name_the_parameter() {
        let q = HashMap::from([("format".to_string(), "xml".to_string())]);
        let AppError::BadRequest(m) = Format::parse(&q, true).unwrap_err() else {
            panic!("expected a bad request")
        };
        assert!(m.starts_with("format:"), "{m}");
        let q = HashMap::from([("format".to_string(), "geojson".to_string())]);
        assert!(Format::parse(&q, false).is_err());
    }
}
