//! `send-test` over STARTTLS with AUTH, against a server run by the test
//! with a certificate made by the test and trusted through `ca_file`.

use crate::harness::Site;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{mpsc, Arc};

const USER: &str = "redaction";
const PASSWORD: &str = "s3cret-Pa55word";

fn b64(input: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A certificate for 127.0.0.1 that is not a CA (rustls refuses a CA as a
/// server certificate), its PEM, and the server's TLS config.
fn tls() -> (String, Arc<rustls::ServerConfig>) {
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    params.is_ca = rcgen::IsCa::ExplicitNoCa;
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    (cert.pem(), Arc::new(config))
}

/// Reads commands from `io` and answers them; returns the DATA received.
/// `tls` is true once the session is encrypted.
fn session<S: Read + Write>(io: S, tls: bool, auth_ok: &str) -> (Option<S>, Option<Vec<u8>>) {
    let mut reader = BufReader::new(io);
    let mut data = None;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return (None, data);
        }
        let cmd = line.trim_end().to_owned();
        let upper = cmd.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            if tls {
                "250-test\r\n250 AUTH PLAIN".into()
            } else {
                "250-test\r\n250 STARTTLS".into()
            }
        } else if upper == "STARTTLS" && !tls {
            reader.get_mut().write_all(b"220 go ahead\r\n").unwrap();
            return (Some(reader.into_inner()), None);
        } else if upper.starts_with("AUTH PLAIN") {
            if cmd[10..].trim() == auth_ok {
                "235 2.7.0 ok".into()
            } else {
                "535 5.7.8 bad credentials".into()
            }
        } else if upper.starts_with("MAIL")
            || upper.starts_with("RCPT")
            || upper.starts_with("RSET")
        {
            "250 ok".into()
        } else if upper == "DATA" {
            reader.get_mut().write_all(b"354 go\r\n").unwrap();
            let mut body = Vec::new();
            loop {
                let mut l = Vec::new();
                reader.read_until(b'\n', &mut l).unwrap();
                if l == b".\r\n" || l.is_empty() {
                    break;
                }
                body.extend_from_slice(if l.starts_with(b"..") { &l[1..] } else { &l });
            }
            data = Some(body);
            "250 queued".into()
        } else if upper == "QUIT" {
            let _ = reader.get_mut().write_all(b"221 bye\r\n");
            return (None, data);
        } else {
            "502 no".into()
        };
        reader
            .get_mut()
            .write_all(format!("{reply}\r\n").as_bytes())
            .unwrap();
        let _ = reader.get_mut().flush();
    }
}

/// A STARTTLS + AUTH PLAIN server for one connection; returns its port,
/// its certificate's PEM and what it received.
fn starttls_server() -> (u16, String, mpsc::Receiver<Option<Vec<u8>>>) {
    let (pem, config) = tls();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    let auth_ok = b64(format!("\0{USER}\0{PASSWORD}").as_bytes());
    std::thread::spawn(move || {
        let (mut tcp, _): (TcpStream, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        tcp.write_all(b"220 test ESMTP\r\n").unwrap();
        let (upgraded, _) = session(tcp, false, &auth_ok);
        let Some(tcp) = upgraded else {
            tx.send(None).unwrap();
            return;
        };
        let conn = rustls::ServerConnection::new(config).unwrap();
        let stream = rustls::StreamOwned::new(conn, tcp);
        let (_, data) = session(stream, true, &auth_ok);
        tx.send(data).unwrap();
    });
    (port, pem, rx)
}

fn tls_site(port: u16, pem: &str) -> Site {
    let site = Site::sample();
    site.write("relay-ca.pem", pem);
    site.edit("feed.toml", "port = 2525", format!("port = {port}"));
    site.edit(
        "feed.toml",
        "security = \"none\"",
        "security = \"starttls\"",
    );
    site.edit(
        "feed.toml",
        "username = \"\"",
        format!("username = \"{USER}\""),
    );
    site.edit("feed.toml", "ca_file = \"\"", "ca_file = \"relay-ca.pem\"");
    site
}

fn send(site: &Site, password: &str) -> crate::harness::Run {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_matinale"))
        .args([
            "--now",
            crate::harness::SAMPLE_NOW,
            "-v",
            "send-test",
            "--to",
            "moi@example.org",
        ])
        .current_dir(site.dir.path())
        .env("MATINALE_SMTP_PASSWORD", password)
        .output()
        .unwrap();
    crate::harness::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

#[test]
fn starttls_with_a_private_ca_and_auth_delivers() {
    let (port, pem, received) = starttls_server();
    let site = tls_site(port, &pem);
    let run = send(&site, PASSWORD);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(&format!(
            "sent to moi@example.org through 127.0.0.1:{port} (security = \"starttls\")"
        )),
        "{}",
        run.stdout
    );
    let data = received
        .recv_timeout(std::time::Duration::from_secs(20))
        .unwrap()
        .expect("a message over TLS");
    let msg = mail_parser::MessageParser::default().parse(&data).unwrap();
    assert!(msg.subject().unwrap().starts_with("[TEST] "));
    // The password is nowhere in what the run printed or wrote.
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains(PASSWORD));
    }
    for (f, bytes) in site.contents("") {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(PASSWORD),
            "{f} holds the password"
        );
    }
}

#[test]
fn a_wrong_password_is_exit_3_with_the_server_s_code_and_no_password() {
    let (port, pem, _received) = starttls_server();
    let site = tls_site(port, &pem);
    let run = send(&site, "not-the-password");
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("authentication rejected (permanent error (535): 5.7.8 bad credentials)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("hint: check [smtp] username and the password in $MATINALE_SMTP_PASSWORD"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("not-the-password"));
}

#[test]
fn an_untrusted_certificate_is_exit_3_and_says_so() {
    let (port, pem, _received) = starttls_server();
    let site = tls_site(port, &pem);
    site.edit("feed.toml", "ca_file = \"relay-ca.pem\"", "ca_file = \"\"");
    let run = send(&site, PASSWORD);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("invalid peer certificate"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("set [smtp] ca_file"), "{}", run.stderr);
}

#[test]
fn implicit_tls_towards_a_starttls_port_is_exit_3_with_a_hint() {
    let (port, pem, _received) = starttls_server();
    let site = tls_site(port, &pem);
    site.edit("feed.toml", "security = \"starttls\"", "security = \"tls\"");
    let run = send(&site, PASSWORD);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(&format!(
            "error: cannot send through 127.0.0.1:{port} (security = \"tls\"): "
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("\"tls\" is implicit TLS (usually port 465), \"starttls\" starts in clear then upgrades (usually 587)"), "{}", run.stderr);
}

#[test]
fn deliver_hands_the_edition_over_starttls_with_auth() {
    let (port, pem, received) = starttls_server();
    let site = tls_site(port, &pem);
    let config = site.read("feed.toml");
    site.write(
        "feed.toml",
        &format!("{config}\n[delivery]\nto = \"matinale@lists.example.org\"\n"),
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_matinale"))
        .args(["--now", crate::harness::SAMPLE_NOW, "build", "--deliver"])
        .current_dir(site.dir.path())
        .env("MATINALE_SMTP_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.ends_with(&format!(
            "newsletter 2026-11-26: delivered to matinale@lists.example.org through 127.0.0.1:{port} \
             (security = \"starttls\"): 250 queued (Message-ID \
             <2026-11-26.edition.matinale.journaldugeek.com@www.journaldugeek.com>)\n"
        )),
        "{stdout}"
    );
    let data = received
        .recv_timeout(std::time::Duration::from_secs(20))
        .unwrap()
        .expect("a message over TLS");
    let msg = mail_parser::MessageParser::default().parse(&data).unwrap();
    assert_eq!(
        msg.message_id(),
        Some("2026-11-26.edition.matinale.journaldugeek.com@www.journaldugeek.com")
    );
    assert!(!site
        .read("out/newsletter/deliveries.json")
        .contains(PASSWORD));
}
