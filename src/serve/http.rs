//! The HTTP/1.1 that `serve` speaks, on `std::net` alone: one request per
//! connection, read and answered under total deadlines by a fixed pool of
//! threads. A client that sends its request or reads its answer slowly ties
//! up one thread for a bounded time, never the server, and a request whose
//! answer panics gets a 500 while its thread goes on serving.
//!
//! Why not a crate: tiny_http sets no socket timeouts, so four clients that
//! never read their answers held its four workers for good, and it cannot
//! send a header value that is not ASCII (the redirect to a non-ASCII
//! `subscribe_path` killed a worker per request). A preview server needs
//! little of HTTP: a request line, two headers, a file with its length.

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How many connections are answered at once, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Threads answering connections; more connections wait in the
    /// listen queue until one is free.
    pub workers: usize,
    /// To receive a request's head, from the connection's acceptance.
    pub head: Duration,
    /// To send the whole answer.
    pub answer: Duration,
}

impl Default for Limits {
    /// Room for a browser's parallel requests and a few feed readers;
    /// deadlines that a client on loopback meets by orders of magnitude.
    fn default() -> Limits {
        Limits {
            workers: 16,
            head: Duration::from_secs(10),
            answer: Duration::from_secs(30),
        }
    }
}

/// A longer head is refused (431): a browser sends one or two KB.
pub const MAX_HEAD: usize = 16 * 1024;

/// After the answer, how long unread bytes of the client are drained
/// before closing (see [`linger`]).
const LINGER: Duration = Duration::from_secs(1);

/// A request's head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// As sent: neither decoded nor normalised.
    pub target: String,
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The value of the first header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An answer's body.
#[derive(Debug)]
pub enum Body {
    Empty,
    Bytes(Vec<u8>),
    /// An open file and the length to send from it.
    File(File, u64),
}

impl Body {
    fn len(&self) -> u64 {
        match self {
            Body::Empty => 0,
            Body::Bytes(b) => b.len() as u64,
            Body::File(_, len) => *len,
        }
    }
}

/// An answer; `Content-Length` and `Connection` are added when it is sent.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Body,
}

impl Response {
    pub fn new(status: u16, body: Body) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body,
        }
    }

    /// A plain text answer.
    pub fn text(status: u16, text: &str) -> Response {
        Response::new(status, Body::Bytes(text.as_bytes().to_vec()))
            .header("Content-Type", "text/plain; charset=utf-8")
    }

    /// A 302 to `location`, a path on this server. Bytes that may not
    /// appear in a header or a URL (non-ASCII, spaces, controls) are
    /// percent-encoded: a browser decodes them back.
    pub fn redirect(location: &str) -> Response {
        Response::new(302, Body::Empty).header("Location", &percent_encode(location, b'!'))
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Response {
        self.headers.push((name, value.to_owned()));
        self
    }
}

/// `s` with every byte outside `lowest..=~` written `%XX`.
fn percent_encode(s: &str, lowest: u8) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if (lowest..=b'~').contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

/// RFC 9110 §5.6.2: the characters of a method or header name.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Parses a request head (request line and header lines, up to the empty
/// line); the error is the status to answer: 400 for a malformed head, 505
/// for another HTTP version than 1.0 and 1.1.
pub fn parse_head(head: &[u8]) -> Result<Request, u16> {
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    // RFC 9112 §2.2: empty lines before the request line are ignored.
    let first = lines.by_ref().find(|l| !l.is_empty()).ok_or(400u16)?;
    let first = std::str::from_utf8(first).map_err(|_| 400u16)?;
    let mut parts = first.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(400);
    };
    if method.is_empty() || !method.bytes().all(is_tchar) {
        return Err(400);
    }
    if target.is_empty() || target.chars().any(char::is_control) {
        return Err(400);
    }
    match version {
        "HTTP/1.1" | "HTTP/1.0" => {}
        v if v.starts_with("HTTP/") => return Err(505),
        _ => return Err(400),
    }
    let mut headers = Vec::new();
    for line in lines.take_while(|l| !l.is_empty()) {
        // No space before the colon, no folded line (RFC 9112 §5.1, §5.2):
        // both are ways to smuggle a header past a proxy.
        let colon = line.iter().position(|&b| b == b':').ok_or(400u16)?;
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
            return Err(400);
        }
        let value = String::from_utf8_lossy(value);
        let value = value.trim_matches([' ', '\t']);
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(400);
        }
        let name = String::from_utf8_lossy(name).into_owned();
        headers.push((name, value.to_owned()));
    }
    Ok(Request {
        method: method.to_owned(),
        target: target.to_owned(),
        headers,
    })
}

/// Where the head in `buf` ends (past its empty line), if it does.
fn head_end(buf: &[u8]) -> Option<usize> {
    let start = buf.iter().position(|&b| b != b'\r' && b != b'\n')?;
    let rest = &buf[start..];
    let mut i = 0;
    while let Some(nl) = rest[i..].iter().position(|&b| b == b'\n') {
        let after = i + nl + 1;
        match rest.get(after..) {
            Some([b'\n', ..]) => return Some(start + after + 1),
            Some([b'\r', b'\n', ..]) => return Some(start + after + 2),
            _ => i = after,
        }
    }
    None
}

/// A stream whose reads and writes all end by `until`: each one is given
/// the time left, so a peer that trickles bytes cannot stretch it.
struct Timed<'s> {
    stream: &'s TcpStream,
    until: Instant,
}

impl Timed<'_> {
    fn left(&self) -> io::Result<Duration> {
        let left = self.until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        Ok(left)
    }
}

impl Read for Timed<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.set_read_timeout(Some(self.left()?))?;
        (&mut self.stream).read(buf)
    }
}

impl Write for Timed<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.set_write_timeout(Some(self.left()?))?;
        (&mut self.stream).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Why no request came.
enum NoHead {
    TooLarge,
    /// The client was silent, slow, or left.
    Gone,
}

fn read_head(r: &mut impl Read) -> Result<Vec<u8>, NoHead> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let n = match r.read(&mut chunk) {
            Ok(0) | Err(_) => return Err(NoHead::Gone),
            Ok(n) => n,
        };
        // The new bytes may complete a terminator begun in the old ones.
        buf.extend_from_slice(&chunk[..n]);
        match head_end(&buf) {
            Some(end) if end <= MAX_HEAD => {
                buf.truncate(end);
                return Ok(buf);
            }
            None if buf.len() <= MAX_HEAD => {}
            _ => return Err(NoHead::TooLarge),
        }
    }
}

/// Writes `response`; its body only when `with_body`.
fn write_response(w: &mut impl Write, response: Response, with_body: bool) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        response.status,
        reason(response.status)
    );
    for (name, value) in &response.headers {
        // Whatever a value holds, it cannot end the header or break its
        // encoding.
        head.push_str(&format!("{name}: {}\r\n", percent_encode(value, b' ')));
    }
    // A Content-Length, never chunks: some readers and caches check a
    // feed's length. A 304 has none: it would be the length of the file.
    if response.status != 304 {
        head.push_str(&format!("Content-Length: {}\r\n", response.body.len()));
    }
    head.push_str("Connection: close\r\n\r\n");
    w.write_all(head.as_bytes())?;
    if !with_body {
        return Ok(());
    }
    match response.body {
        Body::Empty => Ok(()),
        Body::Bytes(b) => w.write_all(&b),
        Body::File(file, len) => {
            let mut file = file.take(len);
            let mut buf = vec![0u8; 64 * 1024];
            let mut sent = 0;
            loop {
                let n = file.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                w.write_all(&buf[..n])?;
                sent += n as u64;
            }
            if sent < len {
                // The file shrank since its length was sent: the client
                // must see a cut answer, not a complete one.
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            Ok(())
        }
    }
}

/// Closes after the answer without losing it: closing a socket with unread
/// bytes (a request body we did not read) makes the kernel send a reset,
/// which can destroy the answer before the client reads it. So say we are
/// done, and read what the client still sends, for a short while.
fn linger(stream: &TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let mut rest = Timed {
        stream,
        until: Instant::now() + LINGER,
    }
    .take(64 * 1024);
    let _ = io::copy(&mut rest, &mut io::sink());
}

/// What answers a request.
pub type Handler = dyn Fn(&Request) -> Response + Send + Sync;

/// Reads one request from `stream` and answers it.
fn connection(stream: TcpStream, limits: &Limits, handler: &Handler) {
    let mut input = Timed {
        stream: &stream,
        until: Instant::now() + limits.head,
    };
    let (response, with_body) = match read_head(&mut input) {
        Err(NoHead::Gone) => return,
        Err(NoHead::TooLarge) => (Response::text(431, "request head too large\n"), true),
        Ok(head) => match parse_head(&head) {
            Err(status) => (Response::text(status, "malformed request\n"), true),
            Ok(request) => {
                let answered = panic::catch_unwind(AssertUnwindSafe(|| handler(&request)));
                let response = answered.unwrap_or_else(|_| {
                    Response::text(
                        500,
                        "matinale failed on this request (a bug); its error output says where\n",
                    )
                });
                (response, request.method != "HEAD")
            }
        },
    };
    let mut output = Timed {
        stream: &stream,
        until: Instant::now() + limits.answer,
    };
    if write_response(&mut output, response, with_body).is_ok() {
        linger(&stream);
    }
}

/// The workers of one listening socket, each with its own clone of it.
pub struct Pool {
    listeners: Vec<TcpListener>,
    limits: Limits,
}

impl Pool {
    pub fn new(listener: TcpListener, limits: Limits) -> io::Result<Pool> {
        let mut listeners = Vec::with_capacity(limits.workers);
        for _ in 1..limits.workers {
            listeners.push(listener.try_clone()?);
        }
        listeners.push(listener);
        Ok(Pool { listeners, limits })
    }

    /// Answers connections with `handler`, for as long as the process
    /// runs.
    pub fn spawn(self, handler: Arc<Handler>) {
        let limits = self.limits;
        for listener in self.listeners {
            spawn_worker(listener, limits, handler.clone());
        }
    }
}

fn spawn_worker(listener: TcpListener, limits: Limits, handler: Arc<Handler>) {
    std::thread::spawn(move || loop {
        match listener.accept() {
            Ok((stream, _)) => {
                // A bug anywhere in a connection costs that connection,
                // never the worker.
                let _ = panic::catch_unwind(AssertUnwindSafe(|| {
                    connection(stream, &limits, &*handler)
                }));
            }
            // Out of file descriptors, say: wait rather than spin.
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(target: &str, headers: &[(&str, &str)]) -> Request {
        Request {
            method: "GET".into(),
            target: target.into(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn heads_are_parsed_strictly() {
        assert_eq!(
            parse_head(b"GET /a?b HTTP/1.1\r\nHost: x\r\nIf-None-Match:  \"e\" \r\n\r\n"),
            Ok(req("/a?b", &[("Host", "x"), ("If-None-Match", "\"e\"")]))
        );
        assert_eq!(
            parse_head(b"\r\nGET / HTTP/1.0\nhost:x\n\n"),
            Ok(req("/", &[("host", "x")]))
        );
        assert_eq!(
            parse_head("GET /café HTTP/1.1\r\n\r\n".as_bytes()),
            Ok(req("/café", &[]))
        );
        for bad in [
            &b""[..],
            b"\r\n",
            b"GET\r\n\r\n",
            b"GET /\r\n\r\n",
            b"GET  / HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1 x\r\n\r\n",
            b"G(T / HTTP/1.1\r\n\r\n",
            b"GET /a\tb HTTP/1.1\r\n\r\n",
            b"GET / FTP/1.0\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost : x\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
            b"GET / HTTP/1.1\r\nno colon\r\n\r\n",
            b"GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n",
            b"GET /\xff HTTP/1.1\r\n\r\n",
        ] {
            assert_eq!(
                parse_head(bad),
                Err(400),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(parse_head(b"GET / HTTP/2.0\r\n\r\n"), Err(505));
    }

    #[test]
    fn a_head_ends_at_its_first_empty_line() {
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nA: b\r\n\r\nbody"), Some(24));
        assert_eq!(head_end(b"GET / HTTP/1.1\n\nbody"), Some(16));
        assert_eq!(head_end(b"\r\n\r\nGET / HTTP/1.1\r\n\r\n"), Some(22));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nA: b\r\n"), None);
        assert_eq!(head_end(b"GET / HTTP/1.1\r\n\r"), None);
        assert_eq!(head_end(b"\r\n"), None);
    }

    #[test]
    fn header_values_cannot_break_the_head() {
        let mut out = Vec::new();
        let r = Response::redirect("/abonné/ x\r\nSet-Cookie: a=b")
            .header("X-Test", "caf\u{e9}\r\nInjected: 1");
        write_response(&mut out, r, true).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 302 Found\r\n\
             Location: /abonn%C3%A9/%20x%0D%0ASet-Cookie:%20a=b\r\n\
             X-Test: caf%C3%A9%0D%0AInjected: 1\r\n\
             Content-Length: 0\r\nConnection: close\r\n\r\n"
        );
    }

    /// A server with `limits`: `/big` is a file of 128 MB, larger than what
    /// the sockets of both ends buffer; `/panic` panics; anything else is
    /// "ok".
    fn server(limits: Limits, dir: &std::path::Path) -> std::net::SocketAddr {
        let big = dir.join("big");
        File::create(&big).unwrap().set_len(128 << 20).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let handler = move |r: &Request| match r.target.as_str() {
            "/big" => {
                let file = File::open(&big).unwrap();
                let len = file.metadata().unwrap().len();
                Response::new(200, Body::File(file, len))
            }
            "/panic" => panic!("a bug in answering {}", r.target),
            _ => Response::text(200, "ok\n"),
        };
        Pool::new(listener, limits)
            .unwrap()
            .spawn(Arc::new(handler));
        addr
    }

    fn get(addr: std::net::SocketAddr, path: &str) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\n\r\n").unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        answer
    }

    const OK: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n\
                      Content-Length: 3\r\nConnection: close\r\n\r\nok\n";

    #[test]
    fn a_panic_in_an_answer_is_a_500_and_the_worker_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let one = Limits {
            workers: 1,
            ..Limits::default()
        };
        let addr = server(one, dir.path());
        for _ in 0..3 {
            let answer = get(addr, "/panic");
            assert!(
                answer.starts_with("HTTP/1.1 500 Internal Server Error\r\n"),
                "{answer}"
            );
            assert!(answer.ends_with(
                "\r\n\r\nmatinale failed on this request (a bug); its error output says where\n"
            ));
            assert_eq!(get(addr, "/"), OK);
        }
    }

    #[test]
    fn clients_too_slow_to_send_or_read_are_cut_at_the_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let limits = Limits {
            workers: 2,
            head: Duration::from_secs(1),
            answer: Duration::from_secs(1),
        };
        let addr = server(limits, dir.path());
        // Both workers taken: one by a client that never reads its
        // answer, one by a client that never ends its request.
        let mut reader = TcpStream::connect(addr).unwrap();
        reader.write_all(b"GET /big HTTP/1.1\r\n\r\n").unwrap();
        let mut sender = TcpStream::connect(addr).unwrap();
        sender.write_all(b"GET / HT").unwrap();
        std::thread::sleep(Duration::from_millis(200));
        let started = Instant::now();
        assert_eq!(get(addr, "/"), OK);
        let waited = started.elapsed();
        // The answer waited for a worker, freed at the deadline.
        assert!(waited < Duration::from_secs(5), "{waited:?}");
        let mut received = 0u64;
        let mut buf = vec![0u8; 1 << 20];
        reader
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        while let Ok(n @ 1..) = reader.read(&mut buf) {
            received += n as u64;
        }
        assert!(received < 128 << 20, "the slow reader was cut: {received}");
        sender
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        assert_eq!(sender.read(&mut buf).unwrap(), 0, "closed, unanswered");
    }
}
