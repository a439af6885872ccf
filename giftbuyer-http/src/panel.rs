//! The web panel's files (`web/dist`, embedded in the binary at build time) served at every
//! path outside the API, with the single-page-app fallback to `index.html`, strong ETags and
//! gzip; a placeholder page says how to build the panel when the build had none.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest as _, Sha256};

use crate::common::matches_etag;
use crate::error::ApiError;

/// `web/dist` as the build found it. In debug builds rust-embed reads the folder at run time
/// instead, so a rebuilt panel shows up without recompiling the server.
#[derive(rust_embed::Embed)]
#[folder = "../web/dist/"]
#[allow_missing = true]
struct Dist;

/// Responses smaller than this are sent as they are: gzip would save too little to matter.
const MIN_GZIP_BYTES: usize = 1024;

/// Vite names the files under `assets/` after their content, so they never change and
/// browsers may keep them for a year; everything else is revalidated with its ETag.
const IMMUTABLE_PREFIX: &str = "assets/";

/// One file, ready to send: its type, its ETag and, when it pays, a gzip copy, all computed
/// once when the server starts rather than per request.
#[derive(Debug)]
struct Asset {
    content_type: &'static str,
    etag: HeaderValue,
    plain: Bytes,
    gzip: Option<Bytes>,
}

/// The panel's files by path (`index.html`, `assets/index-1a2b.js`, ...).
#[derive(Debug, Clone, Default)]
pub struct PanelAssets {
    files: Arc<HashMap<String, Asset>>,
}

impl PanelAssets {
    /// The panel the binary was built with (empty when `web/dist` did not exist), prepared
    /// once per process.
    pub fn embedded() -> Self {
        static EMBEDDED: OnceLock<PanelAssets> = OnceLock::new();
        EMBEDDED
            .get_or_init(|| {
                Self::from_files(Dist::iter().filter_map(|path| {
                    let file = Dist::get(&path)?;
                    Some((path.into_owned(), file.data.into_owned()))
                }))
            })
            .clone()
    }

    /// A panel made of the given files (path relative to the panel's root, content).
    pub fn from_files(files: impl IntoIterator<Item = (String, Vec<u8>)>) -> Self {
        let files = files
            .into_iter()
            .map(|(path, data)| {
                let asset = Asset::prepare(&path, data);
                (path, asset)
            })
            .collect();
        Self {
            files: Arc::new(files),
        }
    }

    /// Whether a built panel is present (its `index.html` is what every page starts from).
    pub fn is_built(&self) -> bool {
        self.files.contains_key("index.html")
    }

    /// Answers a GET or HEAD for `path` outside the API: the file itself, or `index.html` for
    /// the panel's own routes (`/gifts`, `/settings`, ...), or the placeholder page when no
    /// panel was built. A missing path that looks like a file (`/favicon.png`, anything under
    /// `assets/`) answers a JSON 404, so a stale page never runs HTML as a script.
    pub(crate) fn respond(&self, method: &Method, path: &str, request: &HeaderMap) -> Response {
        let relative = path.trim_start_matches('/');
        // Lookups are by exact name in a map, so `..` could never reach the disk; answering
        // 404 still keeps such paths from being mistaken for the panel's routes.
        if looks_like_file(relative) || relative.split('/').any(|part| part == ".." || part == ".")
        {
            if let Some(asset) = self.files.get(relative) {
                return asset.respond(method, request, relative.starts_with(IMMUTABLE_PREFIX));
            }
            return ApiError::NotFound { what: "file" }.into_response();
        }
        if !self.is_built() {
            return placeholder(method);
        }
        match self.files.get("index.html") {
            Some(index) => index.respond(method, request, false),
            None => placeholder(method),
        }
    }
}

impl Asset {
    fn prepare(path: &str, data: Vec<u8>) -> Self {
        let content_type = content_type(path);
        let digest = Sha256::digest(&data);
        let etag = format!("\"{}\"", hex_prefix(&digest, 16));
        let gzip = (compressible(content_type) && data.len() >= MIN_GZIP_BYTES)
            .then(|| gzip(&data))
            .flatten()
            .filter(|packed| packed.len() < data.len())
            .map(Bytes::from);
        Self {
            content_type,
            // A hex digest in quotes is always a valid header value.
            etag: HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\"")),
            plain: Bytes::from(data),
            gzip,
        }
    }

    fn respond(&self, method: &Method, request: &HeaderMap, immutable: bool) -> Response {
        let cache = if immutable {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        let mut headers = HeaderMap::new();
        headers.insert(header::ETAG, self.etag.clone());
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        if matches_etag(request, self.etag.to_str().unwrap_or_default()) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        let body = match &self.gzip {
            Some(packed) if accepts_gzip(request) => {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                packed.clone()
            }
            _ => self.plain.clone(),
        };
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        if method == Method::HEAD {
            return (StatusCode::OK, headers).into_response();
        }
        (StatusCode::OK, headers, Body::from(body)).into_response()
    }
}

/// Whether the client takes gzip: `gzip` listed without `q=0`.
fn accepts_gzip(request: &HeaderMap) -> bool {
    request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|param| {
                param
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            name.eq_ignore_ascii_case("gzip") && !refused
        })
}

/// A last path segment with an extension names a file rather than a panel route.
fn looks_like_file(relative: &str) -> bool {
    relative.starts_with(IMMUTABLE_PREFIX)
        || relative
            .rsplit('/')
            .next()
            .is_some_and(|name| name.contains('.'))
}

fn content_type(path: &str) -> &'static str {
    let extension = path
        .rsplit_once('.')
        .map(|(_, ext)| ext)
        .unwrap_or_default();
    match extension.to_ascii_lowercase().as_str() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "txt" => "text/plain; charset=utf-8",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

fn compressible(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || content_type.starts_with("application/json")
        || content_type.starts_with("application/manifest")
        || content_type == "image/svg+xml"
        || content_type == "font/ttf"
        || content_type == "application/wasm"
}

fn gzip(data: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).ok()?;
    encoder.finish().ok()
}

fn hex_prefix(digest: &[u8], bytes: usize) -> String {
    digest
        .iter()
        .take(bytes)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Plain HTML without scripts, so it passes the panel's content security policy as it is.
const PLACEHOLDER: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GiftBuyer</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5; }
code { background: #f2f2f2; padding: 0.1rem 0.3rem; border-radius: 0.2rem; }
</style>
</head>
<body>
<h1>GiftBuyer is running</h1>
<p>This server was built without its web panel. Build the panel, then the server, with
<code>scripts/demo</code> (or <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>, then
<code>cargo build --release</code>): the panel's files in <code>web/dist</code> are embedded in the
binary when it is compiled.</p>
<p>Meanwhile the JSON API works: its OpenAPI 3.1 description is at
<a href="/api/openapi.json"><code>/api/openapi.json</code></a>, health at
<a href="/api/health"><code>/api/health</code></a> and metrics at <a href="/metrics"><code>/metrics</code></a>.</p>
</body>
</html>
"#;

fn placeholder(method: &Method) -> Response {
    let headers = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-cache"),
    ];
    if method == Method::HEAD {
        return (StatusCode::OK, headers).into_response();
    }
    (StatusCode::OK, headers, PLACEHOLDER).into_response()
}
