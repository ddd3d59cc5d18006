//! Static files embedded in the binary, served under content-hashed names (`/static/app.3f2a….js`)
//! so browsers may keep them forever: a new build with a changed file gets a new name.

use std::sync::OnceLock;

use sha2::{Digest, Sha256};

/// One embedded file.
pub struct Asset {
    /// The file's name (e.g. `app.js`).
    pub name: &'static str,
    /// Its content type.
    pub content_type: &'static str,
    /// Its bytes.
    pub bytes: &'static [u8],
}

/// Every embedded file.
pub const ASSETS: [Asset; 6] = [
    Asset {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/htmx-2.0.11.min.js"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/app.js"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../assets/favicon.svg"),
    },
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../assets/app.css"),
    },
    Asset {
        name: "portal.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../assets/portal.css"),
    },
    Asset {
        name: "echarts.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/echarts-6.1.0.min.js"),
    },
];

/// The hashed URL path of each asset, in [`ASSETS`] order.
fn urls() -> &'static [String; 6] {
    static URLS: OnceLock<[String; 6]> = OnceLock::new();
    URLS.get_or_init(|| {
        ASSETS.map(|a| {
            let h = hex::encode(&Sha256::digest(a.bytes)[..6]);
            match a.name.rsplit_once('.') {
                Some((stem, ext)) => format!("/static/{stem}.{h}.{ext}"),
                None => format!("/static/{}.{h}", a.name),
            }
        })
    })
}

/// The URL of the asset named `name` (e.g. `app.js`).
pub fn url(name: &str) -> &'static str {
    ASSETS
        .iter()
        .position(|a| a.name == name)
        .map_or("/static/missing", |i| urls()[i].as_str())
}

/// The asset a hashed URL path names, if any.
pub fn by_path(path: &str) -> Option<&'static Asset> {
    urls().iter().position(|u| u == path).map(|i| &ASSETS[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_has_a_hashed_url_that_finds_it() {
        for a in &ASSETS {
            let u = url(a.name);
            assert!(
                u.starts_with("/static/") && u.len() > a.name.len() + 9,
                "{u}"
            );
            assert_eq!(by_path(u).map(|x| x.name), Some(a.name));
        }
        assert!(
            by_path("/static/app.js").is_none(),
            "unhashed names are not served"
        );
    }
}
