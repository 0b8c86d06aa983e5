//! `matinale serve` over real HTTP: content types, validators and 304s,
//! traversal attempts, rebuilds on change.

use crate::harness::{Site, SAMPLE_NOW};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running `matinale serve`, stopped when dropped.
struct Server {
    child: Child,
    addr: String,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(site: &Site) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_matinale"))
        .args(["--now", SAMPLE_NOW, "serve", "--port", "0"])
        .current_dir(site.dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, stderr) = mpsc::channel();
    let err = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // Read all along, so the server never blocks on a full pipe.
    let (tx, stdout) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let addr = stdout
        .iter()
        .find_map(|line| {
            let rest = line.split_once(" at http://")?.1;
            Some(rest.split('/').next().unwrap().to_owned())
        })
        .expect("serve printed its address");
    Server {
        child,
        addr,
        stdout,
        stderr,
    }
}

/// One answer, as sent.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `METHOD PATH` as is (no client-side normalisation of `..`).
fn request(server: &Server, method: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        server.addr
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    send(server, req.as_bytes())
}

/// Sends `bytes`, and reads the answer.
fn send(server: &Server, bytes: &[u8]) -> Answer {
    let mut s = TcpStream::connect(&server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(bytes).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete answer");
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_owned(), v.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

fn get(server: &Server, path: &str) -> Answer {
    request(server, "GET", path, &[])
}

/// A served page as it is on disk: production links, no reload script.
fn production(server: &Server, page: &str) -> String {
    let page = page.replace(
        &format!("http://{}/", server.addr),
        "https://www.journaldugeek.com/",
    );
    match page.find("<script>/* matinale serve:") {
        Some(start) => {
            let end = start + page[start..].find("</script>\n").unwrap() + "</script>\n".len();
            format!("{}{}", &page[..start], &page[end..])
        }
        None => page,
    }
}

#[test]
fn serve_answers_with_feed_types_and_validators() {
    let site = Site::sample();
    let server = serve(&site);
    for (path, file, ty) in [
        (
            "/feed.xml",
            "feed.xml",
            "application/rss+xml; charset=utf-8",
        ),
        (
            "/atom.xml",
            "atom.xml",
            "application/atom+xml; charset=utf-8",
        ),
        (
            "/feed.json",
            "feed.json",
            "application/feed+json; charset=utf-8",
        ),
        (
            "/category/jeux-video/feed.xml",
            "category/jeux-video/feed.xml",
            "application/rss+xml; charset=utf-8",
        ),
        (
            "/newsletter/atom.xml",
            "newsletter/atom.xml",
            "application/atom+xml; charset=utf-8",
        ),
        (
            "/abonnement/",
            "abonnement/index.html",
            "text/html; charset=utf-8",
        ),
        (
            "/newsletter/",
            "newsletter/index.html",
            "text/html; charset=utf-8",
        ),
        (
            "/newsletter/2026-11-26.html",
            "newsletter/2026-11-26.html",
            "text/html; charset=utf-8",
        ),
        (
            "/_partials/head.html",
            "_partials/head.html",
            "text/html; charset=utf-8",
        ),
    ] {
        let a = get(&server, path);
        assert_eq!(a.status, 200, "{path}");
        assert_eq!(a.header("Content-Type"), Some(ty), "{path}");
        let on_disk = std::fs::read(site.path(&format!("public/{file}"))).unwrap();
        let length = a.body.len().to_string();
        assert_eq!(a.header("Content-Length"), Some(length.as_str()), "{path}");
        if ty.starts_with("text/html") {
            // The file, but for the links to this server and the script
            // that reloads a page.
            let file = String::from_utf8(on_disk).unwrap();
            assert_eq!(production(&server, &a.text()), file, "{path}");
        } else {
            assert!(a.body == on_disk, "{path}: the body is not the file");
        }
        assert_eq!(a.header("Cache-Control"), Some("no-cache"), "{path}");
    }

    let a = get(&server, "/feed.xml");
    let etag = a.header("ETag").unwrap().to_owned();
    let last_modified = a.header("Last-Modified").unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    assert!(last_modified.ends_with(" GMT"), "{last_modified}");

    let a = request(&server, "GET", "/feed.xml", &[("If-None-Match", &etag)]);
    assert_eq!(a.status, 304);
    assert!(a.body.is_empty());
    assert_eq!(a.header("ETag"), Some(etag.as_str()));
    let a = request(
        &server,
        "GET",
        "/feed.xml",
        &[("If-None-Match", "\"other\"")],
    );
    assert_eq!(a.status, 200);
    let a = request(
        &server,
        "GET",
        "/feed.xml",
        &[("If-Modified-Since", &last_modified)],
    );
    assert_eq!(a.status, 304);
    let a = request(
        &server,
        "GET",
        "/feed.xml",
        &[("If-Modified-Since", "Mon, 01 Jan 2024 00:00:00 GMT")],
    );
    assert_eq!(a.status, 200);
    assert!(!a.body.is_empty());

    let a = request(&server, "HEAD", "/feed.json", &[]);
    assert_eq!(a.status, 200);
    assert!(a.body.is_empty());
    assert_eq!(
        a.header("Content-Length").map(str::to_owned),
        Some(
            std::fs::metadata(site.path("public/feed.json"))
                .unwrap()
                .len()
                .to_string()
        )
    );

    let a = get(&server, "/");
    assert_eq!(
        (a.status, a.header("Location")),
        (302, Some("/abonnement/"))
    );
    let a = get(&server, "/newsletter");
    assert_eq!(
        (a.status, a.header("Location")),
        (302, Some("/newsletter/"))
    );
    assert_eq!(get(&server, "/nothing-here.xml").status, 404);
    assert_eq!(get(&server, "/category/").status, 404, "no folder listings");
    let a = request(&server, "POST", "/feed.xml", &[("Content-Length", "0")]);
    assert_eq!((a.status, a.header("Allow")), (405, Some("GET, HEAD")));

    // A second server on the same port says so, before building.
    let port = server.addr.rsplit(':').next().unwrap();
    let other = Site::sample();
    let run = other.run_now(&["serve", "--port", port]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        format!("error: cannot listen on 127.0.0.1:{port}: Address already in use (os error 98)\n  hint: another program may use this port; choose another with --port\n")
    );
    assert!(!other.path("public").exists());
}

#[test]
fn serve_never_leaves_the_output_folder() {
    let site = Site::sample();
    site.write("secret.txt", "the site's secret\n");
    let server = serve(&site);
    #[cfg(unix)]
    std::os::unix::fs::symlink(site.path("secret.txt"), site.path("public/leak.txt")).unwrap();
    site.write("public/.hidden.txt", "hidden\n");
    for path in [
        "/../secret.txt",
        "/../feed.toml",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/..%2fsecret.txt",
        "/newsletter/..%2f..%2fsecret.txt",
        "/category/../../secret.txt",
        "/category/%2e%2e/%2e%2e/secret.txt",
        "/..\\secret.txt",
        "/%5c..%5csecret.txt",
        "/secret.txt%00.html",
        "/leak.txt",
        "/.hidden.txt",
        "//secret.txt",
        "/./../secret.txt",
    ] {
        let a = get(&server, path);
        assert!(
            a.status == 400 || a.status == 404,
            "{path}: {} {}",
            a.status,
            a.text()
        );
        assert!(!a.text().contains("secret"), "{path}: {}", a.text());
        assert!(!a.text().contains("[site]"), "{path}");
    }
    assert_eq!(get(&server, "/feed.xml").status, 200, "still serving");
}

/// Polls `path` until its body contains `needle`.
fn wait_for(server: &Server, path: &str, needle: &str) -> Answer {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let a = get(server, path);
        if a.text().contains(needle) {
            return a;
        }
        assert!(
            Instant::now() < deadline,
            "{path} never showed {needle:?}; last: {}",
            a.text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn serve_rebuilds_when_sources_change() {
    let site = Site::sample();
    let server = serve(&site);
    let before = get(&server, "/feed.xml");
    let etag = before.header("ETag").unwrap().to_owned();

    // An article.
    site.edit(
        "content/2026-11-25-corail-resistant-chaleur.md",
        "title = \"Des chercheurs",
        "title = \"Rebuilt: des chercheurs",
    );
    let after = wait_for(&server, "/feed.xml", "Rebuilt: des chercheurs");
    assert_ne!(after.header("ETag"), Some(etag.as_str()));
    let a = request(&server, "GET", "/feed.xml", &[("If-None-Match", &etag)]);
    assert_eq!(a.status, 200, "the old ETag no longer matches");
    wait_for(&server, "/abonnement/", "Rebuilt: des chercheurs");

    // feed.toml: one source of truth for the calls to action.
    site.edit(
        "feed.toml",
        "Et si vous nous adorez, on a une newsletter tous les matins.",
        "Notre newsletter arrive chaque matin.",
    );
    wait_for(
        &server,
        "/_partials/cta.html",
        "Notre newsletter arrive chaque matin.",
    );
    wait_for(
        &server,
        "/feed.xml",
        "Notre newsletter arrive chaque matin.",
    );

    // A template of the site's own.
    site.write(
        "templates/cta.html.j2",
        "<aside>{% for cta in ctas %}<a href=\"{{ cta.url }}\">{{ cta.label }}</a>{% endfor %}</aside>\n",
    );
    wait_for(
        &server,
        "/_partials/cta.html",
        "<aside><a href=\"https://news.google.com/publications/EXAMPLE\">",
    );

    // A broken article: the error is said, the last build stays served.
    site.write(
        "content/broken.md",
        "+++\ntitle = \"Sans date\"\nurl = \"https://www.journaldugeek.com/x/\"\n+++\nCorps.\n",
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let line = loop {
        let line = server
            .stderr
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("serve reports the broken article");
        if line.contains("still serving the last build") {
            break line;
        }
    };
    assert!(line.contains("broken.md"), "{line}");
    let a = get(&server, "/feed.xml");
    assert_eq!(a.status, 200);
    assert!(a.text().contains("Rebuilt: des chercheurs"));
}

#[test]
fn serve_redirects_stay_on_this_server_and_no_request_stops_it() {
    let site = Site::sample();
    site.edit(
        "feed.toml",
        "subscribe_path = \"abonnement/\"",
        "subscribe_path = \"abonné/\"",
    );
    let server = serve(&site);
    // More requests than the server has workers: a Location that is not
    // ASCII once killed the worker that sent it.
    for _ in 0..20 {
        let a = get(&server, "/");
        assert_eq!(
            (a.status, a.header("Location")),
            (302, Some("/abonn%C3%A9/"))
        );
    }
    let a = get(&server, "/abonn%C3%A9/");
    assert_eq!(a.status, 200);
    assert_eq!(
        production(&server, &a.text()),
        site.read("public/abonné/index.html")
    );
    let a = get(&server, "/abonné");
    assert_eq!(
        (a.status, a.header("Location")),
        (302, Some("/abonn%C3%A9/"))
    );
    // `//category/` would be the host `category` to a browser.
    for (path, location) in [
        ("//category", "/category/"),
        ("///newsletter?x=1", "/newsletter/"),
        ("/category//jeux-video", "/category//jeux-video/"),
    ] {
        let a = get(&server, path);
        assert_eq!(
            (a.status, a.header("Location")),
            (302, Some(location)),
            "{path}"
        );
    }

    // Requests that are not HTTP, or too long.
    for (bytes, status) in [
        (&b"GET / HTTP/1.1\r\nHost : x\r\n\r\n"[..], 400),
        (b"\x00\xff\xfe\r\n\r\n", 400),
        (b"GET /feed.xml HTTP/2.0\r\n\r\n", 505),
        (b"GET /feed.xml\r\n\r\n", 400),
        (b"GET /feed.xml HTTP/1.1\r\nX-Junk: a\x01b\r\n\r\n", 400),
    ] {
        let a = send(&server, bytes);
        assert_eq!(a.status, status, "{}", String::from_utf8_lossy(bytes));
    }
    let long = format!("GET / HTTP/1.1\r\nX-Long: {}\r\n\r\n", "x".repeat(20_000));
    let a = send(&server, long.as_bytes());
    assert_eq!(a.status, 431);
    assert_eq!(get(&server, "/feed.xml").status, 200, "still serving");
}

#[test]
fn serve_answers_others_while_clients_never_read() {
    let site = Site::sample();
    let server = serve(&site);
    // Larger than what the sockets of both ends buffer.
    std::fs::File::create(site.path("public/big.bin"))
        .unwrap()
        .set_len(128 << 20)
        .unwrap();
    let slow: Vec<TcpStream> = (0..8)
        .map(|_| {
            let mut s = TcpStream::connect(&server.addr).unwrap();
            s.write_all(b"GET /big.bin HTTP/1.1\r\n\r\n").unwrap();
            s
        })
        .collect();
    // And clients that connect and say nothing.
    let silent: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(&server.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let a = get(&server, "/feed.xml");
    assert_eq!(a.status, 200);
    assert!(a.body == std::fs::read(site.path("public/feed.xml")).unwrap());
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    drop((slow, silent));
    assert_eq!(get(&server, "/feed.xml").status, 200);
}

#[test]
fn serve_is_a_faithful_preview_that_reloads_and_records_nothing() {
    let site = Site::sample();
    let mut server = serve(&site);
    let local = format!("http://{}/", server.addr);

    // Served pages link this server for what it serves; articles stay on
    // the live site; the file keeps its production links.
    let page = get(&server, "/abonnement/").text();
    let on_disk = site.read("public/abonnement/index.html");
    for (served, file) in [
        (
            format!("{local}feed.xml"),
            "https://www.journaldugeek.com/feed.xml",
        ),
        (
            format!("{local}category/jeux-video/atom.xml"),
            "https://www.journaldugeek.com/category/jeux-video/atom.xml",
        ),
        (
            format!("{local}newsletter/2026-11-26.html"),
            "https://www.journaldugeek.com/newsletter/2026-11-26.html",
        ),
    ] {
        assert!(page.contains(&served), "{served} not in {page}");
        assert!(!page.contains(file), "{file} in {page}");
        assert!(on_disk.contains(file) && !on_disk.contains(&local));
    }
    let article = "https://www.journaldugeek.com/2026/11/26/geminides-observation/";
    assert!(page.contains(article) && on_disk.contains(article));
    assert!(!on_disk.contains("/_matinale/version"));
    // The web copy of the edition, made but not recorded.
    let web_copy = get(&server, "/newsletter/2026-11-26.html");
    assert_eq!(web_copy.status, 200);
    assert!(web_copy.text().contains(&format!("{local}newsletter/")));

    // An open page polls the version, which changes after a rebuild.
    let version = get(&server, "/_matinale/version");
    assert_eq!(version.header("Cache-Control"), Some("no-store"));
    let v1 = version.text();
    assert!(page.contains(&format!("var v=\"{v1}\";")), "{page}");
    let etag = get(&server, "/abonnement/")
        .header("ETag")
        .unwrap()
        .to_owned();
    let a = request(&server, "GET", "/abonnement/", &[("If-None-Match", &etag)]);
    assert_eq!(a.status, 304);
    site.edit(
        "content/2026-11-25-corail-resistant-chaleur.md",
        "title = \"Des chercheurs",
        "title = \"Relu : des chercheurs",
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let v2 = loop {
        let v = get(&server, "/_matinale/version").text();
        if v != v1 {
            break v;
        }
        assert!(Instant::now() < deadline, "the version never changed");
        std::thread::sleep(Duration::from_millis(100));
    };
    let page = get(&server, "/abonnement/").text();
    assert!(page.contains(&format!("var v=\"{v2}\";")), "{page}");
    assert!(page.contains("Relu : des chercheurs"));
    // The page kept by the browser is stale: the old ETag is refused.
    let a = request(&server, "GET", "/abonnement/", &[("If-None-Match", &etag)]);
    assert_eq!(a.status, 200);

    // SIGTERM: it says it stopped, and exits 0.
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let said: Vec<String> = server.stdout.iter().collect();
    assert_eq!(
        said.last().map(String::as_str),
        Some("stopped; public keeps the last build"),
        "{said:?}"
    );
    assert_eq!(server.child.wait().unwrap().code(), Some(0));

    // Nothing recorded: `build` still makes the edition, as the first.
    assert!(!site.path("out/newsletter/ledger.json").exists());
    assert!(site.path("out/newsletter/2026-11-26.eml").is_file());
    let run = site.ok(&["build"]);
    assert!(
        run.stdout
            .contains("newsletter 2026-11-26: edition, 11 articles"),
        "{}",
        run.stdout
    );
}
