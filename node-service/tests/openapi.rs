//! The OpenAPI description covers the router exactly: every route of every route table, with each
//! of its methods, and nothing that is not a route; every schema reference resolves.

use node_service::api;
use serde_json::Value;

fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref" {
                    out.push(x.as_str().unwrap_or_default().to_owned());
                }
                refs(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[test]
fn every_route_is_described_and_every_description_is_a_route() {
    let doc = api::openapi::document();
    assert_eq!(doc["openapi"], "3.1.0");
    let routes: Vec<node_service::http_common::routes::Route> = api::open_routes()
        .into_iter()
        .chain(api::public_routes())
        .chain(api::staff_routes())
        .chain(node_service::open311::routes())
        .collect();
    let mut described = 0;
    for r in &routes {
        for m in r.methods {
            let op = &doc["paths"][r.path][m.to_lowercase()];
            assert!(
                op.is_object(),
                "{m} {} is missing from the OpenAPI description",
                r.path
            );
            assert!(
                op["responses"]["default"].is_object(),
                "{m} {}: errors",
                r.path
            );
            described += 1;
        }
    }
    let mut in_doc = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            in_doc += 1;
            assert!(
                routes
                    .iter()
                    .any(|r| r.path == path
                        && r.methods.iter().any(|m| m.eq_ignore_ascii_case(method))),
                "{method} {path} is described but is no route"
            );
        }
    }
    assert_eq!(described, in_doc);
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 20);
    for r in all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{r}"));
        assert!(
            doc["components"]["schemas"][name].is_object()
                || doc["components"]["schemas"][name].is_boolean(),
            "{r} does not resolve"
        );
    }
    // The request body of a workflow action is the action request's own schema.
    let action = &doc["paths"]["/api/tickets/{key}/actions"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"];
    assert!(
        action["$ref"].as_str().unwrap().ends_with("ActionRequest"),
        "{action}"
    );
}

#[test]
fn every_parameter_is_described() {
    let doc = api::openapi::document();
    let mut undescribed = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                if !p["description"].as_str().is_some_and(|d| !d.is_empty()) {
                    undescribed.push(format!("{method} {path} {}", p["name"]));
                }
            }
        }
    }
    assert!(
        undescribed.is_empty(),
        "parameters without a description: {undescribed:?}"
    );
}

/// The description passes a strict validator: PyPI's `openapi-spec-validator` (OpenAPI 3.1 and
/// its JSON Schema dialect), installed by `scripts/test`, which names it in `OPENAPI_SPEC_VALIDATOR`.
#[test]
fn the_description_passes_a_strict_validator() {
    let validator = std::env::var("OPENAPI_SPEC_VALIDATOR").expect(
        "OPENAPI_SPEC_VALIDATOR names the openapi-spec-validator command (scripts/test installs it)",
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("openapi.json");
    std::fs::write(&path, api::openapi::document().to_string()).unwrap();
    let out = std::process::Command::new(&validator)
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {validator}: {e}"));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "the validator refused the description: {said}"
    );
    assert!(said.contains("OK"), "the validator said: {said}");
}
