//! `matinale serve`: the output folder over HTTP on 127.0.0.1, to look at
//! the pages and point a feed reader at the feeds before publishing, and
//! the fingerprint of the sources that tells when to rebuild.
//!
//! A faithful preview: the HTML it serves links this server wherever the
//! file links one of the site's outputs by its production URL (the feeds,
//! the subscribe page, the archive; articles stay on the live site), and
//! carries a small script that reloads the page when a rebuild changes
//! [`Preview`]'s version. Both are made for each answer: the files on disk
//! keep their production URLs and no script.
//!
//! A preview server, not a production one: loopback only, no directory
//! listings, nothing outside the folder (`..`, encoded or not, and hidden
//! files are refused; symlinks may not lead out), and the answers a reader
//! or CDN expects: the feed content types, ETag and Last-Modified with 304s.
//! The HTTP itself, with its deadlines and its pool of workers, is
//! [`http`]'s.

pub mod http;

use crate::error::Error;
use chrono::{DateTime, Utc};
use http::{Body, Limits, Pool, Request, Response};
use std::fs::{self, File};
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

/// Where an open page asks for the build's version.
pub const VERSION_PATH: &str = "/_matinale/version";

/// A bound server.
pub struct Server {
    pool: Pool,
    addr: SocketAddr,
    site: Site,
}

/// What is served.
struct Site {
    root: PathBuf,
    /// Where `/` sends a browser when the folder has no index.html.
    home: String,
    addr: SocketAddr,
    preview: Preview,
}

/// What the served pages are a preview of, shared with the loop that
/// rebuilds: the production URL of the output folder (`[feeds]
/// base_url`), and the version of the build.
#[derive(Debug, Clone)]
pub struct Preview(Arc<Mutex<PreviewState>>);

#[derive(Debug)]
struct PreviewState {
    production: String,
    version: u64,
}

impl Preview {
    /// `production` ends with `/`. `first` is the first version: the
    /// caller gives the clock's milliseconds, so that a page left open
    /// while serve restarts reloads too.
    pub fn new(production: &str, first: u64) -> Preview {
        Preview(Arc::new(Mutex::new(PreviewState {
            production: production.to_owned(),
            version: first,
        })))
    }

    /// A build succeeded: open pages reload.
    pub fn rebuilt(&self, production: &str) {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        state.production = production.to_owned();
        state.version = state.version.wrapping_add(1);
    }

    /// The production URL and the version, read together.
    fn get(&self) -> (String, String) {
        let state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        (state.production.clone(), format!("{:x}", state.version))
    }
}

impl Server {
    /// Binds 127.0.0.1:`port` (0: any free port) to serve `root`.
    pub fn bind(port: u16, root: &Path, home: &str, preview: Preview) -> Result<Server, Error> {
        let failed = |e: io::Error| Error::Listen {
            addr: format!("127.0.0.1:{port}"),
            message: e.to_string(),
        };
        let listener = TcpListener::bind(("127.0.0.1", port)).map_err(failed)?;
        let addr = listener.local_addr().map_err(failed)?;
        let pool = Pool::new(listener, Limits::default()).map_err(failed)?;
        Ok(Server {
            pool,
            addr,
            site: Site {
                root: root.to_path_buf(),
                home: format!("/{}", home.trim_start_matches('/')),
                addr,
                preview,
            },
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Answers requests on worker threads, for as long as the process runs.
    pub fn spawn(self) {
        let site = self.site;
        self.pool
            .spawn(Arc::new(move |request: &Request| site.answer(request)));
    }
}

impl Site {
    fn answer(&self, request: &Request) -> Response {
        match request.method.as_str() {
            "GET" | "HEAD" => {
                let conditions = Conditions {
                    if_none_match: request.header("If-None-Match").map(str::to_owned),
                    if_modified_since: request.header("If-Modified-Since").map(str::to_owned),
                };
                if request.target.split('?').next() == Some(VERSION_PATH) {
                    let (_, version) = self.preview.get();
                    return Response::text(200, &version).header("Cache-Control", "no-store");
                }
                let local = self.local_base(request.header("Host"));
                self.respond(&request.target, &conditions, &local)
            }
            _ => Response::text(405, "only GET and HEAD are served\n").header("Allow", "GET, HEAD"),
        }
    }

    /// This server's URL as the browser names it: the Host it sent when
    /// that is a loopback name with our port, else our address.
    fn local_base(&self, host: Option<&str>) -> String {
        let port = self.addr.port();
        let named = host.filter(|h| {
            ["localhost", "127.0.0.1", "[::1]"]
                .iter()
                .any(|name| *h == format!("{name}:{port}"))
        });
        format!(
            "http://{}/",
            named.map_or_else(|| self.addr.to_string(), str::to_owned)
        )
    }

    /// Whether `path` (under the production URL, undecoded) names what
    /// this server serves: a file, or a folder with its index.html.
    fn serves(&self, path: &str) -> bool {
        let Ok(rel) = resolve(&format!("/{path}")) else {
            return false;
        };
        let p = self.root.join(rel);
        p.is_file() || (p.is_dir() && p.join("index.html").is_file())
    }

    fn respond(&self, url: &str, conditions: &Conditions, local: &str) -> Response {
        let rel = match resolve(url) {
            Ok(rel) => rel,
            Err(status) => return Response::text(status, "no such file\n"),
        };
        let mut path = self.root.join(&rel);
        let Ok(meta) = fs::metadata(&path) else {
            if rel.as_os_str().is_empty() {
                return Response::redirect(&self.home);
            }
            return Response::text(404, "no such file\n");
        };
        if meta.is_dir() {
            let raw_path = url.split(['?', '#']).next().unwrap_or("/");
            if !raw_path.ends_with('/') {
                return Response::redirect(&folder_location(url));
            }
            path.push("index.html");
            if !path.is_file() {
                if rel.as_os_str().is_empty() {
                    return Response::redirect(&self.home);
                }
                return Response::text(404, "no such file\n");
            }
        }
        // A symlink inside the folder must not lead out of it.
        let inside = match (path.canonicalize(), self.root.canonicalize()) {
            (Ok(p), Ok(root)) => p.starts_with(root),
            _ => false,
        };
        if !inside {
            return Response::text(404, "no such file\n");
        }
        let answer = if content_type(&path).starts_with("text/html") {
            self.page_response(&path, conditions, local)
        } else {
            file_response(&path, conditions)
        };
        match answer {
            Ok(r) => r,
            Err(_) => Response::text(404, "no such file\n"),
        }
    }

    /// A page as the preview serves it: its links to the site's outputs
    /// made local, and the reload script. Its ETag holds the build's
    /// version, and it has no Last-Modified: a page kept by the browser
    /// must not come back with an old version's script.
    fn page_response(
        &self,
        path: &Path,
        conditions: &Conditions,
        local: &str,
    ) -> io::Result<Response> {
        let bytes = fs::read(path)?;
        let meta = fs::metadata(path)?;
        let Ok(html) = String::from_utf8(bytes) else {
            return file_response(path, conditions);
        };
        let (production, version) = self.preview.get();
        let (file_tag, _) = validators(&meta);
        let etag = format!("{}-{version}\"", file_tag.trim_end_matches('"'));
        let validate_tag_only = Conditions {
            if_none_match: conditions.if_none_match.clone(),
            if_modified_since: None,
        };
        let response = if conditions.if_none_match.is_some()
            && not_modified(&validate_tag_only, &etag, DateTime::<Utc>::MIN_UTC)
        {
            Response::new(304, Body::Empty)
        } else {
            let page = localize(&html, &production, local, &|p| self.serves(p));
            let page = with_reload(&page, &version);
            Response::new(200, Body::Bytes(page.into_bytes()))
                .header("Content-Type", content_type(path))
        };
        Ok(response
            .header("ETag", &etag)
            .header("Cache-Control", "no-cache"))
    }
}

/// `html` with each link to `production` + a path that `serves` names
/// made a link to `local` + that path. Other links to the production site
/// (its articles, its home page) are kept: this server does not have them.
pub fn localize(
    html: &str,
    production: &str,
    local: &str,
    serves: &dyn Fn(&str) -> bool,
) -> String {
    if production.is_empty() {
        return html.to_owned();
    }
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find(production) {
        out.push_str(&rest[..i]);
        let after = &rest[i + production.len()..];
        let end = after
            .find(|c: char| {
                matches!(c, '"' | '\'' | '<' | '>' | '?' | '#' | ')' | '&') || c.is_whitespace()
            })
            .unwrap_or(after.len());
        out.push_str(if serves(&after[..end]) {
            local
        } else {
            production
        });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// `html` with the script that reloads it when the build's version is no
/// longer `version`, before its last `</body>` (a fragment without one,
/// such as a partial, is left as it is).
pub fn with_reload(html: &str, version: &str) -> String {
    let Some(at) = html.to_ascii_lowercase().rfind("</body>") else {
        return html.to_owned();
    };
    let script = format!(
        "<script>/* matinale serve: reloads this page after each rebuild (added by the preview server only) */\n\
         (function(){{var v=\"{version}\";setInterval(function(){{fetch(\"{VERSION_PATH}\",{{cache:\"no-store\"}})\
         .then(function(r){{return r.ok?r.text():v}}).then(function(t){{if(t!==v)location.reload()}})\
         .catch(function(){{}})}},1000)}})();\n</script>\n"
    );
    format!("{}{script}{}", &html[..at], &html[at..])
}

/// Where a request for a folder named without its final slash is sent:
/// the same path with the slash, starting with one `/` only (a browser
/// reads `//category/` as the host `category`).
pub fn folder_location(url: &str) -> String {
    let raw_path = url.split(['?', '#']).next().unwrap_or("/");
    match raw_path.trim_matches('/') {
        "" => "/".to_owned(),
        inner => format!("/{inner}/"),
    }
}

/// The request's cache validators.
#[derive(Debug, Default)]
pub struct Conditions {
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
}

/// The path under the served folder that `url` names, or the status to
/// answer: 400 for a path that tries to climb out or is not UTF-8, 404 for
/// hidden files (the writer's temporary files start with a dot).
pub fn resolve(url: &str) -> Result<PathBuf, u16> {
    let raw = url.split(['?', '#']).next().unwrap_or("");
    if !raw.starts_with('/') {
        return Err(400);
    }
    let bytes: Vec<u8> = percent_decode(raw).ok_or(400u16)?;
    let decoded = String::from_utf8(bytes).map_err(|_| 400u16)?;
    if decoded.contains(['\0', '\\']) {
        return Err(400);
    }
    let mut rel = PathBuf::new();
    for segment in decoded.split('/').filter(|s| !s.is_empty()) {
        if segment == ".." || segment == "." {
            return Err(400);
        }
        if segment.starts_with('.') {
            return Err(404);
        }
        rel.push(segment);
    }
    Ok(rel)
}

fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

/// The content type of a served file, by its name.
pub fn content_type(path: &Path) -> &'static str {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if let Some(format) = crate::layout::Format::of_file_name(name) {
        return match format {
            crate::layout::Format::Rss => "application/rss+xml; charset=utf-8",
            crate::layout::Format::Atom => "application/atom+xml; charset=utf-8",
            crate::layout::Format::Json => "application/feed+json; charset=utf-8",
        };
    }
    match name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()) {
        Some(e) => match e.as_str() {
            "html" | "htm" => "text/html; charset=utf-8",
            "xml" => "application/xml; charset=utf-8",
            "json" => "application/json; charset=utf-8",
            "txt" => "text/plain; charset=utf-8",
            "css" => "text/css; charset=utf-8",
            "js" => "text/javascript; charset=utf-8",
            "svg" => "image/svg+xml",
            "png" => "image/png",
            "jpg" | "jpeg" => "image/jpeg",
            "gif" => "image/gif",
            "webp" => "image/webp",
            "avif" => "image/avif",
            "ico" => "image/x-icon",
            "eml" => "message/rfc822",
            _ => "application/octet-stream",
        },
        None => "application/octet-stream",
    }
}

/// The validators of a file: its ETag (size and modification time: the
/// writer leaves unchanged files untouched, so both are stable) and its
/// Last-Modified time, to the second.
pub fn validators(meta: &fs::Metadata) -> (String, DateTime<Utc>) {
    let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    let since = modified
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    let etag = format!("\"{:x}-{:x}\"", meta.len(), since.as_nanos());
    let seconds = i64::try_from(since.as_secs()).unwrap_or(0);
    let last_modified = DateTime::from_timestamp(seconds, 0).unwrap_or_default();
    (etag, last_modified)
}

/// Whether the client's copy is current (RFC 9110 §13.2.2: If-None-Match
/// wins over If-Modified-Since).
pub fn not_modified(conditions: &Conditions, etag: &str, last_modified: DateTime<Utc>) -> bool {
    if let Some(tags) = &conditions.if_none_match {
        return tags
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == etag || t == "*");
    }
    conditions
        .if_modified_since
        .as_deref()
        .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
        .is_some_and(|since| last_modified <= since)
}

fn file_response(path: &Path, conditions: &Conditions) -> io::Result<Response> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    let (etag, last_modified) = validators(&meta);
    let response = if not_modified(conditions, &etag, last_modified) {
        Response::new(304, Body::Empty)
    } else {
        Response::new(200, Body::File(file, meta.len())).header("Content-Type", content_type(path))
    };
    Ok(response
        .header("ETag", &etag)
        .header(
            "Last-Modified",
            &last_modified
                .format("%a, %d %b %Y %H:%M:%S GMT")
                .to_string(),
        )
        // A preview: always ask whether the file changed.
        .header("Cache-Control", "no-cache"))
}

/// What the sources look like now: every file's path, size and
/// modification time. Two different fingerprints mean "rebuild".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(Vec<(PathBuf, u64, Option<SystemTime>)>);

impl Fingerprint {
    /// Of `paths`, each a file or a folder (walked; hidden entries skipped,
    /// missing paths count as absent).
    pub fn of(paths: &[PathBuf]) -> Fingerprint {
        let mut files = Vec::new();
        for p in paths {
            walk(p, &mut files);
        }
        files.sort();
        Fingerprint(files)
    }
}

fn walk(path: &Path, files: &mut Vec<(PathBuf, u64, Option<SystemTime>)>) {
    walk_below(path, files, true);
}

/// A link to a folder is followed only at the top (the content folder
/// itself may be one): a link loop inside must not make the walk endless.
fn walk_below(path: &Path, files: &mut Vec<(PathBuf, u64, Option<SystemTime>)>, top: bool) {
    let Ok(meta) = fs::metadata(path) else {
        return;
    };
    let linked = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if meta.is_dir() && linked && !top {
        return;
    }
    if meta.is_dir() {
        let Ok(entries) = fs::read_dir(path) else {
            return;
        };
        for e in entries.flatten() {
            if !e.file_name().to_string_lossy().starts_with('.') {
                walk_below(&e.path(), files, false);
            }
        }
    } else {
        files.push((path.to_path_buf(), meta.len(), meta.modified().ok()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_climb_out_are_refused() {
        for url in [
            "/../x",
            "/%2e%2e/x",
            "/..%2fx",
            "/a/../../x",
            "/%2E%2E%2F%2E%2E%2Fetc/passwd",
            "/a/%2e/b",
            "/a%00b",
            "/..\\x",
            "/a%5c..%5cx",
            "relative",
            "/%zz",
            "/%ff",
        ] {
            assert_eq!(resolve(url), Err(400), "{url}");
        }
        assert_eq!(resolve("/.feed.xml.matinale-tmp"), Err(404));
        assert_eq!(resolve("/.matinale/lock"), Err(404));
        assert_eq!(
            resolve("/category/jeux-video/feed.xml?x=1"),
            Ok(PathBuf::from("category/jeux-video/feed.xml"))
        );
        assert_eq!(resolve("/caf%C3%A9/"), Ok(PathBuf::from("café")));
        assert_eq!(resolve("/"), Ok(PathBuf::new()));
    }

    #[test]
    fn pages_link_what_this_server_serves_and_reload() {
        let production = "https://www.example.org/";
        let local = "http://127.0.0.1:8080/";
        let serves =
            |p: &str| ["feed.xml", "abonnement/", "", "newsletter/2026-11-26.html"].contains(&p);
        let html = "<a href=\"https://www.example.org/feed.xml\">RSS</a> \
                    <a href='https://www.example.org/abonnement/#x'>s</a> \
                    <a href=\"https://www.example.org/2026/11/article/\">article</a> \
                    <code>https://www.example.org/newsletter/2026-11-26.html</code> \
                    https://www.example.org/ https://www.example.org.evil/feed.xml";
        assert_eq!(
            localize(html, production, local, &serves),
            "<a href=\"http://127.0.0.1:8080/feed.xml\">RSS</a> \
             <a href='http://127.0.0.1:8080/abonnement/#x'>s</a> \
             <a href=\"https://www.example.org/2026/11/article/\">article</a> \
             <code>http://127.0.0.1:8080/newsletter/2026-11-26.html</code> \
             http://127.0.0.1:8080/ https://www.example.org.evil/feed.xml"
        );
        let page = with_reload("<html><body><p>x</p></BODY></html>", "1f");
        assert!(page.starts_with("<html><body><p>x</p><script>"), "{page}");
        assert!(page.contains("var v=\"1f\";"), "{page}");
        assert!(page.ends_with("</script>\n</BODY></html>"), "{page}");
        assert_eq!(
            with_reload("<link rel=alternate>", "1f"),
            "<link rel=alternate>"
        );
    }

    #[test]
    fn validators_answer_304_only_for_the_current_copy() {
        let lm = DateTime::parse_from_rfc3339("2026-11-26T06:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let c = |inm: Option<&str>, ims: Option<&str>| Conditions {
            if_none_match: inm.map(str::to_owned),
            if_modified_since: ims.map(str::to_owned),
        };
        assert!(not_modified(&c(Some("\"a\""), None), "\"a\"", lm));
        assert!(not_modified(&c(Some("\"b\", W/\"a\""), None), "\"a\"", lm));
        assert!(!not_modified(
            &c(Some("\"b\""), Some("Thu, 26 Nov 2026 06:30:00 GMT")),
            "\"a\"",
            lm
        ));
        assert!(not_modified(
            &c(None, Some("Thu, 26 Nov 2026 06:30:00 GMT")),
            "\"a\"",
            lm
        ));
        assert!(!not_modified(
            &c(None, Some("Thu, 26 Nov 2026 06:29:59 GMT")),
            "\"a\"",
            lm
        ));
        assert!(!not_modified(&c(None, Some("yesterday")), "\"a\"", lm));
        assert!(!not_modified(&c(None, None), "\"a\"", lm));
    }
}
