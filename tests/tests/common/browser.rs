//! A real browser for the page tests: Debian's headless Chromium driven by its chromedriver
//! (started here, on a port it reports), through fantoccini. Screenshots go to
//! `$SCREENSHOT_DIR` (default `target/screenshots`); the console is read back to catch CSP
//! violations and script errors.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// Desktop (an office screen) or phone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    /// 1366×768.
    Desktop,
    /// 390×844, emulated phone.
    Phone,
}

/// One browser session with its own chromedriver and profile.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    screen: Screen,
}

/// Where screenshots are written.
pub fn screenshot_dir() -> PathBuf {
    std::env::var_os("SCREENSHOT_DIR").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../target/screenshots"
            ))
        },
        PathBuf::from,
    )
}

/// Starts chromedriver on a free port and waits for the line in which it says it listens.
fn start_driver() -> Result<(Child, u16)> {
    // Ask the kernel for a free port, then hand it to chromedriver, which reports when it bound.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting chromedriver (scripts/test installs chromium-driver)")?;
    let out = child.stdout.take().context("chromedriver stdout")?;
    let mut lines = BufReader::new(out).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.contains("started successfully") => break,
            Some(Ok(_)) => continue,
            _ => {
                let _ = child.kill();
                bail!("chromedriver exited before listening");
            }
        }
    }
    // Keep draining its output so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Ok((child, port))
}

#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"type": "browser"}).to_string()),
        )
    }
}

impl Browser {
    /// Starts a browser session.
    pub async fn start(screen: Screen) -> Result<Browser> {
        let (driver, port) = start_driver()?;
        let profile = tempfile::tempdir()?;
        let mut chrome = json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=zh-CN",
                "--disable-background-networking", "--disable-component-update", "--no-first-run",
                "--disable-gpu", "--disable-sync", "--window-size=1366,768",
                format!("--user-data-dir={}", profile.path().display()),
            ],
            "prefs": {"intl.accept_languages": "zh-CN"},
        });
        if screen == Screen::Phone {
            chrome["mobileEmulation"] = json!({
                "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2.0, "touch": true},
                "userAgent": "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36"
            });
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), chrome);
        caps.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .context("opening a chromium session")?;
        Ok(Browser {
            client,
            driver,
            _profile: profile,
            screen,
        })
    }

    /// Opens a URL.
    pub async fn goto(&self, url: &str) -> Result<()> {
        self.client.goto(url).await?;
        Ok(())
    }

    /// Saves a screenshot as `<name>-desktop.png` or `<name>-phone.png`.
    pub async fn shot(&self, name: &str) -> Result<PathBuf> {
        let png = self.client.screenshot().await?;
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir)?;
        let suffix = match self.screen {
            Screen::Desktop => "desktop",
            Screen::Phone => "phone",
        };
        let path = dir.join(format!("{name}-{suffix}.png"));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// The browser console's messages since the last call, as `(level, text)`.
    pub async fn console(&self) -> Result<Vec<(String, String)>> {
        let v: Value = self.client.issue_cmd(BrowserLog).await?;
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .map(|e| {
                        (
                            e["level"].as_str().unwrap_or_default().to_owned(),
                            e["message"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Fails on any console error (a CSP violation, a script error, a failed load).
    pub async fn assert_clean_console(&self, page: &str) -> Result<()> {
        let bad: Vec<_> = self
            .console()
            .await?
            .into_iter()
            .filter(|(level, text)| level == "SEVERE" || text.contains("Content Security Policy"))
            .collect();
        if !bad.is_empty() {
            bail!("console errors on {page}: {bad:?}");
        }
        Ok(())
    }

    /// The text of the first element matching a CSS selector.
    pub async fn text(&self, css: &str) -> Result<String> {
        Ok(self.client.find(Locator::Css(css)).await?.text().await?)
    }

    /// Waits (by polling the page, at most `secs`) for an element to appear.
    pub async fn wait_for(&self, css: &str, secs: u64) -> Result<fantoccini::elements::Element> {
        let found = tokio::time::timeout(
            Duration::from_secs(secs),
            self.client.wait().forever().for_element(Locator::Css(css)),
        )
        .await
        .with_context(|| format!("waiting for {css}"))??;
        Ok(found)
    }

    /// Waits until the element with id `id` reads `text` (after a form's redirect the old page's
    /// element of the same id may still be there, or go stale, while the new one loads).
    pub async fn wait_for_text(&self, id: &str, text: &str, secs: u64) -> Result<()> {
        let xpath = format!("//*[@id='{id}' and normalize-space(.)='{text}']");
        tokio::time::timeout(
            Duration::from_secs(secs),
            self.client
                .wait()
                .forever()
                .for_element(Locator::XPath(&xpath)),
        )
        .await
        .with_context(|| format!("waiting for #{id} to read {text}"))??;
        Ok(())
    }

    /// Types into the focused element (keys as WebDriver key codes, e.g. `\u{E004}` for Tab).
    pub async fn keys(&self, text: &str) -> Result<()> {
        self.client.active_element().await?.send_keys(text).await?;
        Ok(())
    }

    /// Signs in on the sign-in page of `base` with the keyboard.
    pub async fn sign_in(&self, base: &str, login: &str, password: &str) -> Result<()> {
        self.goto(&format!("{base}/staff/login")).await?;
        self.wait_for("#login", 10).await?;
        self.keys(&format!("{login}{TAB}{password}{ENTER}")).await?;
        self.wait_for("#who", 10).await?;
        Ok(())
    }

    /// Signs out with the header's button.
    pub async fn sign_out(&self) -> Result<()> {
        self.client
            .find(Locator::Css("#who button"))
            .await?
            .click()
            .await?;
        self.wait_for("#login", 10).await?;
        Ok(())
    }

    /// Ends the session and its chromedriver.
    pub async fn close(mut self) -> Result<()> {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        Ok(())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

/// WebDriver key codes.
pub const TAB: &str = "\u{E004}";
pub const ENTER: &str = "\u{E007}";
pub const CONTROL: &str = "\u{E009}";
