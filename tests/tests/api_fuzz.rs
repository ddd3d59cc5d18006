//! The JSON API fuzzed from its own OpenAPI description by schemathesis (PyPI; `scripts/test`
//! installs it and names it in `$SCHEMATHESIS`) against a real hub on loopback, as a shift leader
//! with a service token: valid and invalid parameters and bodies for every operation. No answer
//! may be a 5xx, and every answer must match the schema documented for its status.

use std::process::Command;

/// 2026-11-24 10:00 Beijing time.
const NOW: i64 = 1_795_485_600_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_answers_fuzzed_requests_as_documented() {
    let st = std::env::var("SCHEMATHESIS").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../target/schemathesis-venv/bin/st"
        )
        .to_owned()
    });
    assert!(
        std::path::Path::new(&st).exists(),
        "schemathesis is not installed at {st}: run scripts/test, which installs it"
    );
    let dir = tempfile::tempdir().unwrap();
    // Some orders to read and act on.
    let (node, _) = tests::fixtures::seeded_hub(dir.path(), NOW, 3)
        .await
        .unwrap();
    let state = node.state.clone();
    let token = state
        .auth
        .issue_token(&state.store, "接口测试", "sl01", "admin", NOW)
        .await
        .unwrap();
    let url = format!("http://{}/api/openapi.json", node.addr);
    let reports = dir.path().join("reports");
    let out = tokio::task::spawn_blocking(move || {
        Command::new(st)
            .args([
                "run",
                &url,
                "--checks",
                "not_a_server_error,response_schema_conformance",
                "--header",
                &format!("Authorization: Bearer {token}"),
                "--max-examples",
                "5",
                "--seed",
                "12345",
                "--workers",
                "2",
                "--request-timeout",
                "10",
                "--phases",
                "examples,coverage,fuzzing",
                "--max-time",
                "120",
                "--report-dir",
            ])
            .arg(&reports)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "schemathesis found failures:\n{text}");
    assert!(text.contains("passed"), "{text}");
    node.shutdown().await.unwrap();
}
