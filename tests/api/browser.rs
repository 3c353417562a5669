//! A real headless Chromium, driven through chromedriver (WebDriver) with fantoccini.
//!
//! Each test gets its own chromedriver on a free port and a fresh browser profile; the tests
//! take turns, so two browsers never compete for this machine's cores.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tempfile::TempDir;
use tokio::sync::{Mutex, MutexGuard};

static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

/// A browser session; [`Browser::finish`] ends it cleanly, dropping it kills it.
pub struct Browser {
    pub client: Client,
    base: String,
    driver: Child,
    finished: bool,
    _profile: TempDir,
    _turn: MutexGuard<'static, ()>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    /// Starts chromedriver and a headless Chromium pointed at `base` (the app's address).
    pub async fn start(base: &str) -> Self {
        let turn = ONE_AT_A_TIME.lock().await;
        let port = free_port();
        let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, so that dropping kills chromedriver and its browser.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|err| {
                panic!("cannot start {chromedriver} (install chromium-driver): {err}")
            });
        let address = format!("127.0.0.1:{port}");
        let mut ready = false;
        for _ in 0..200 {
            if std::net::TcpStream::connect(&address).is_ok() {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(ready, "chromedriver did not start listening on {address}");

        let profile = tempfile::tempdir().unwrap();
        let chromium = std::env::var("CHROME_BIN").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                    "--force-device-scale-factor=1",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
        });
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities.as_object().unwrap().clone())
            .connect(&format!("http://{address}"))
            .await
            .expect("a Chromium session");
        client.set_window_size(1280, 900).await.unwrap();
        Self {
            client,
            base: base.to_owned(),
            driver,
            finished: false,
            _profile: profile,
            _turn: turn,
        }
    }

    /// Opens `path` of the app.
    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    /// The current path and query.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// The element matching `css`.
    pub async fn find(&self, css: &str) -> Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element,
            Err(err) => {
                let page = self.client.source().await.unwrap_or_default();
                let url = self.client.current_url().await.map(|u| u.to_string());
                panic!("no {css} on {url:?}: {err}\n{page}")
            }
        }
    }

    /// Whether some element matches `css`.
    pub async fn has(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .unwrap()
            .is_empty()
    }

    /// Types `text` into the field matching `css`, replacing what was there.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    /// Clicks the link or submit button matching `css` and waits until the next page has
    /// loaded (see [`Browser::wait_for_next_page`]).
    pub async fn follow(&self, css: &str) {
        self.mark_page().await;
        self.click(css).await;
        self.wait_for_next_page(&format!("clicking {css}")).await;
    }

    /// Presses `key` on whatever has focus (Enter on a link or a submit button) and waits until
    /// the next page has loaded.
    pub async fn press_to_follow(&self, key: Key) {
        self.mark_page().await;
        self.press(key).await;
        self.wait_for_next_page(&format!("pressing {key:?}")).await;
    }

    /// Presses and releases `key` on whatever has focus, as a keyboard does (WebDriver actions,
    /// not an element's events).
    pub async fn press(&self, key: Key) {
        self.keys(&[char::from(key)]).await;
    }

    /// Presses Shift+Tab.
    pub async fn shift_tab(&self) {
        let keys = KeyActions::new("keyboard".into())
            .then(KeyAction::Down {
                value: Key::Shift.into(),
            })
            .then(KeyAction::Down {
                value: Key::Tab.into(),
            })
            .then(KeyAction::Up {
                value: Key::Tab.into(),
            })
            .then(KeyAction::Up {
                value: Key::Shift.into(),
            });
        self.client.perform_actions(keys).await.unwrap();
    }

    /// Types `text` into whatever has focus, one key at a time.
    pub async fn type_text(&self, text: &str) {
        self.keys(&text.chars().collect::<Vec<_>>()).await;
    }

    async fn keys(&self, keys: &[char]) {
        let mut actions = KeyActions::new("keyboard".into());
        for &value in keys {
            actions = actions
                .then(KeyAction::Down { value })
                .then(KeyAction::Up { value });
        }
        self.client.perform_actions(actions).await.unwrap();
    }

    /// Marks the current page, so that [`Browser::wait_for_next_page`] can tell it from the next.
    async fn mark_page(&self) {
        self.client
            .execute("window.__before_follow = true;", vec![])
            .await
            .unwrap();
    }

    /// Waits until the next page has loaded: the wait ends at a complete document of this site
    /// without the mark (a new page has a fresh `window`; the blank document Chromium may hold
    /// while a response is on its way does not count). `what` names the action, for the panic.
    async fn wait_for_next_page(&self, what: &str) {
        for _ in 0..400 {
            let state = self
                .client
                .execute(
                    "return location.protocol.startsWith('http') \
                     && document.readyState === 'complete' && !window.__before_follow",
                    vec![],
                )
                .await;
            // Errors can happen while the page is swapped; keep waiting.
            if matches!(state, Ok(serde_json::Value::Bool(true))) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("{what} loaded no new page");
    }

    /// Waits (a few seconds at most) until the element matching `css` reads `expected`;
    /// returns what it read last.
    pub async fn text_of_eventually(&self, css: &str, expected: &str) -> String {
        let mut last = String::new();
        for _ in 0..200 {
            last = self.find(css).await.text().await.unwrap();
            if last == expected {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        last
    }

    /// The visible text of the page.
    pub async fn text(&self) -> String {
        self.find("body").await.text().await.unwrap()
    }

    /// The page's HTML as the browser holds it now.
    pub async fn source(&self) -> String {
        self.client.source().await.unwrap()
    }

    /// Saves a screenshot of the whole page (the window grown to fit it) as
    /// `docs/screenshots/<name>.png`, when `UPDATE_SCREENSHOTS=1` asks for the README's pictures
    /// to be taken again; otherwise a test run leaves the tracked files as they are.
    pub async fn screenshot(&self, name: &str) {
        if std::env::var("UPDATE_SCREENSHOTS").as_deref() != Ok("1") {
            return;
        }
        let (width, height) = self.client.get_window_size().await.unwrap();
        let needed = self
            .client
            .execute(
                "return document.documentElement.scrollHeight + window.outerHeight - window.innerHeight",
                vec![],
            )
            .await
            .unwrap()
            .as_u64()
            .unwrap();
        let grow = needed > height;
        if grow {
            self.client
                .set_window_size(width as u32, needed as u32)
                .await
                .unwrap();
        }
        let png = self.client.screenshot().await.unwrap();
        if grow {
            self.client
                .set_window_size(width as u32, height as u32)
                .await
                .unwrap();
        }
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// Signs in through the form.
    pub async fn sign_in(&self, email: &str, password: &str) {
        self.goto("/login").await;
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.follow("form[action='/login'] button[type=submit]")
            .await;
    }

    /// Ends the browser session, then chromedriver.
    pub async fn finish(mut self) {
        let _ = self.client.clone().close().await;
        self.stop_driver();
    }

    /// Ends chromedriver's process group (the browser too, if a failed test left it open).
    fn stop_driver(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.stop_driver();
    }
}
