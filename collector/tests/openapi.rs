//! The OpenAPI document matches the implementation: every route the router
//! declares is documented (and nothing else is), and a real collector's
//! answer to every documented GET (with data flowing) has a documented
//! status and validates against the documented schema.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;
use support::*;

/// Routes declared in the router (`.route("…"` in http/mod.rs).
fn router_paths() -> BTreeSet<String> {
    let src = include_str!("../src/http/mod.rs");
    src.split(".route(\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_string)
        .collect()
}

/// Resolves a local `$ref`.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let path = r.trim_start_matches("#/");
            let target = path.split('/').fold(doc, |v, k| &v[k]);
            resolve(doc, target)
        }
        None => schema,
    }
}

/// A small JSON Schema (OpenAPI 3.0 subset) check: type, nullable,
/// required, properties, items, enum, oneOf, allOf, min/maxItems.
fn validate(doc: &Value, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    if v.is_null() {
        if schema["nullable"] != true && schema.get("type").is_some() {
            errors.push(format!("{at}: null but not nullable"));
        }
        return;
    }
    if let Some(all) = schema["allOf"].as_array() {
        for s in all {
            validate(doc, s, v, at, errors);
        }
    }
    if let Some(one) = schema["oneOf"].as_array() {
        let ok = one.iter().any(|s| {
            let mut e = Vec::new();
            validate(doc, s, v, at, &mut e);
            e.is_empty()
        });
        if !ok {
            errors.push(format!("{at}: matches none of oneOf: {v}"));
        }
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(v)
    {
        errors.push(format!("{at}: {v} not in {allowed:?}"));
    }
    let type_ok = match schema["type"].as_str() {
        None => true,
        Some("object") => v.is_object(),
        Some("array") => v.is_array(),
        Some("string") => v.is_string(),
        Some("integer") => v.is_i64() || v.is_u64(),
        Some("number") => v.is_number(),
        Some("boolean") => v.is_boolean(),
        Some(other) => panic!("schema type {other} not handled"),
    };
    if !type_ok {
        errors.push(format!("{at}: expected {}, got {v}", schema["type"]));
        return;
    }
    if let Some(obj) = v.as_object() {
        for req in schema["required"].as_array().into_iter().flatten() {
            let k = req.as_str().unwrap_or_default();
            if !obj.contains_key(k) {
                errors.push(format!("{at}: missing required {k}"));
            }
        }
        if let Some(props) = schema["properties"].as_object() {
            for (k, s) in props {
                if let Some(x) = obj.get(k) {
                    validate(doc, s, x, &format!("{at}.{k}"), errors);
                }
            }
        }
        if let Some(extra) = schema["additionalProperties"].as_object() {
            let known = schema["properties"].as_object();
            for (k, x) in obj {
                if known.is_none_or(|p| !p.contains_key(k)) {
                    validate(
                        doc,
                        &Value::Object(extra.clone()),
                        x,
                        &format!("{at}.{k}"),
                        errors,
                    );
                }
            }
        }
    }
    if let Some(items) = v.as_array() {
        if let Some(min) = schema["minItems"].as_u64()
            && (items.len() as u64) < min
        {
            errors.push(format!("{at}: fewer than {min} items"));
        }
        if let Some(max) = schema["maxItems"].as_u64()
            && items.len() as u64 > max
        {
            errors.push(format!("{at}: more than {max} items"));
        }
        if schema.get("items").is_some() {
            for (i, x) in items.iter().enumerate() {
                validate(doc, &schema["items"], x, &format!("{at}[{i}]"), errors);
            }
        }
    }
}

#[test]
fn the_document_lists_every_route_and_every_answer_matches_it() {
    let dir = tempfile::tempdir().unwrap();
    let c = start_collector(dir.path(), 0, 0, &["--allow-anonymous", "true"]);
    let (mqtt, http) = (c.mqtt, c.http);
    let frames = recording(30_000);
    publish(
        mqtt,
        "rx-a",
        Some(("rx-a", "x")),
        &encoded(&batches("rx-a", &frames, 500, 1)),
    )
    .expect("publish");
    wait_for!(Duration::from_secs(60), || {
        get_json(http, "/api/v1/stats")["totals"]["receptions"] == 30_000
            && get_json(http, "/api/v1/aircraft")["aircraft"][0].is_object()
    });

    let doc = get_json(http, "/api/v1/openapi.json");
    assert_eq!(doc["openapi"], "3.0.3");
    let documented: BTreeSet<String> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .cloned()
        .collect();
    assert_eq!(
        documented,
        router_paths(),
        "documented paths = router paths"
    );

    let icao = get_json(http, "/api/v1/aircraft")["aircraft"][0]["hex"]
        .as_str()
        .expect("an aircraft")
        .to_string();
    let mut errors = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let Some(op) = item.get("get") else { continue };
        let content_type = op["responses"]["200"]["content"]
            .as_object()
            .and_then(|c| c.keys().next().cloned())
            .unwrap_or_default();
        if content_type != "application/json" {
            continue; // text, event streams
        }
        let url = path.replace("{icao}", &icao).replace("{id}", "rx-a");
        let (status, body) = get(http, &url).expect("GET");
        assert!(
            op["responses"].get(status.to_string()).is_some(),
            "{url}: status {status} is not documented: {body}"
        );
        let schema = &op["responses"][status.to_string()]["content"]["application/json"]["schema"];
        let value: Value = serde_json::from_str(&body).expect("JSON body");
        validate(&doc, schema, &value, &url, &mut errors);
    }
    // Documented errors have the documented shape too.
    for url in [
        "/api/v1/aircraft/zzzzzz",
        "/api/v1/receivers/nobody/rates",
        "/api/v1/positions?bbox=1,2",
        "/api/v1/flights?limit=0",
    ] {
        let (status, body) = get(http, url).expect("GET");
        assert!(status == 400 || status == 404, "{url}: {status}");
        let value: Value = serde_json::from_str(&body).expect("JSON error");
        validate(
            &doc,
            &doc["components"]["schemas"]["Error"],
            &value,
            url,
            &mut errors,
        );
    }
    assert!(
        errors.is_empty(),
        "responses differ from the document:\n{}",
        errors.join("\n")
    );
}
