//! `send-test` through a real SMTP server on loopback, run by the test.

use crate::harness::Site;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::mpsc;

/// How the test server answers RCPT TO.
#[derive(Clone, Copy)]
enum Rcpt {
    Accept,
    /// 550: permanent.
    Reject,
    /// 451: try again later.
    Defer,
    /// Reads the message and hangs up instead of answering it.
    HangUp,
    /// Accepts the connection and never says a word.
    Mute,
    /// Greets one byte every 200 ms, for 30 s, never ending the line.
    Drip,
}

/// A minimal SMTP server on 127.0.0.1 for one connection per item of
/// `sessions`, each answering RCPT TO as that item says: returns its port
/// and a channel that receives the DATA it was sent.
fn smtp_server(sessions: &[Rcpt]) -> (u16, mpsc::Receiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    let sessions = sessions.to_vec();
    std::thread::spawn(move || {
        for rcpt in sessions {
            serve(&listener, rcpt, &tx);
        }
    });
    (port, rx)
}

fn serve(listener: &TcpListener, rcpt: Rcpt, tx: &mpsc::Sender<Vec<u8>>) {
    let (stream, _) = listener.accept().unwrap();
    if let Rcpt::Mute = rcpt {
        // Held open, silent, while the next session is served.
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_secs(3));
            drop(stream);
        });
        return;
    }
    if let Rcpt::Drip = rcpt {
        let mut out = stream;
        std::thread::spawn(move || {
            for b in "220 ".bytes().chain(std::iter::repeat(b'x')).take(150) {
                if out.write_all(&[b]).is_err() {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
        });
        return;
    }
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let mut out = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let mut say = |s: &str| out.write_all(format!("{s}\r\n").as_bytes());
    say("220 test ESMTP").unwrap();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let cmd = line.to_ascii_uppercase();
        if cmd.starts_with("EHLO") {
            say("250-test\r\n250 8BITMIME").unwrap();
        } else if cmd.starts_with("MAIL FROM") {
            say("250 ok").unwrap();
        } else if cmd.starts_with("RCPT TO") {
            match rcpt {
                Rcpt::Reject => say("550 5.1.1 no such user here").unwrap(),
                Rcpt::Defer => say("451 4.3.0 try again later").unwrap(),
                Rcpt::HangUp | Rcpt::Accept => say("250 ok").unwrap(),
                Rcpt::Mute | Rcpt::Drip => unreachable!("answered above"),
            }
        } else if cmd.starts_with("DATA") {
            say("354 go ahead").unwrap();
            let mut data = Vec::new();
            loop {
                let mut l = Vec::new();
                reader.read_until(b'\n', &mut l).unwrap();
                if l == b".\r\n" || l.is_empty() {
                    break;
                }
                // Undo dot-stuffing.
                let l = if l.starts_with(b"..") {
                    l[1..].to_vec()
                } else {
                    l
                };
                data.extend_from_slice(&l);
            }
            if let Rcpt::HangUp = rcpt {
                // The whole message read, and no answer: gone.
                return;
            }
            say("250 queued").unwrap();
            tx.send(data).unwrap();
        } else if cmd.starts_with("QUIT") {
            let _ = say("221 bye");
            return;
        } else if cmd.starts_with("RSET") || cmd.starts_with("NOOP") {
            say("250 ok").unwrap();
        } else {
            say("502 not implemented").unwrap();
        }
    }
}

fn site_with_port(port: u16) -> Site {
    let site = Site::sample();
    site.edit("feed.toml", "port = 2525", format!("port = {port}"));
    site
}

#[test]
fn a_test_copy_is_delivered_with_its_own_headers() {
    let (port, received) = smtp_server(&[Rcpt::Accept]);
    let site = site_with_port(port);
    let run = site.ok(&["send-test", "--to", "moi@example.org"]);
    assert_eq!(
        run.stdout,
        format!("newsletter 2026-11-26: « [TEST] Batterie sodium-ion : une voiture électrique française à moins de 20 000 euros » sent to moi@example.org through 127.0.0.1:{port} (security = \"none\")\n")
    );
    let data = received
        .recv_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    let msg = mail_parser::MessageParser::default()
        .parse(&data)
        .expect("a MIME message");
    assert!(msg
        .subject()
        .unwrap()
        .starts_with("[TEST] Batterie sodium-ion"));
    assert_eq!(
        msg.to().unwrap().first().unwrap().address().unwrap(),
        "moi@example.org"
    );
    assert_eq!(
        msg.from().unwrap().first().unwrap().address().unwrap(),
        "newsletter@journaldugeek.com"
    );
    let id = msg.message_id().unwrap();
    assert!(
        id.starts_with("2026-11-26.test-") && id.ends_with("@www.journaldugeek.com"),
        "{id}"
    );
    let unsubscribe = msg.header_raw("List-Unsubscribe").unwrap();
    assert!(
        unsubscribe.contains("token=test-") && !unsubscribe.contains("UNSUB_TOKEN"),
        "{unsubscribe}"
    );
    assert_eq!(
        msg.header_raw("List-Unsubscribe-Post").unwrap().trim(),
        "List-Unsubscribe=One-Click"
    );
    assert!(msg.body_text(0).unwrap().contains("LA MATINALE"));
    assert!(msg.body_html(0).unwrap().contains("<html lang=\"fr-FR\""));
    // Nothing recorded: no ledger, no edition files.
    assert!(!site.path("out/newsletter/ledger.json").exists());
}

#[test]
fn a_refusal_is_exit_3_with_the_server_s_answer() {
    let (port, _received) = smtp_server(&[Rcpt::Reject]);
    let site = site_with_port(port);
    let run = site.run_now(&["send-test", "--to", "moi@example.org"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.starts_with(&format!("error: cannot send through 127.0.0.1:{port} (security = \"none\"): refused (permanent error (550): 5.1.1 no such user here")), "{}", run.stderr);
}

#[test]
fn a_dead_relay_is_exit_3_and_says_what_to_check() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let site = site_with_port(port);
    let run = site.run_now(&["send-test", "--to", "moi@example.org"]);
    assert_eq!(run.code, 3);
    assert_eq!(
        run.stderr,
        format!("error: cannot send through 127.0.0.1:{port} (security = \"none\"): connection refused\n  hint: is the relay running, and are [smtp] host and port right?\n")
    );
}

#[test]
fn without_a_host_the_message_goes_to_the_outbox() {
    let site = Site::sample();
    site.edit("feed.toml", "host = \"127.0.0.1\"", "host = \"\"");
    let run = site.ok(&["send-test", "--to", "moi@example.org"]);
    assert!(run.stdout.ends_with("written to out/outbox/2026-11-26-test-moi_example.org.eml (no [smtp] host is configured)\n"), "{}", run.stdout);
    assert!(site
        .read("out/outbox/2026-11-26-test-moi_example.org.eml")
        .contains("Subject: [TEST] Batterie sodium-ion"));
}

#[test]
fn a_bad_address_is_a_usage_error_and_a_missing_password_is_named() {
    let site = Site::sample();
    assert_eq!(site.run(&["send-test", "--to", "pas une adresse"]).code, 2);
    site.edit("feed.toml", "username = \"\"", "username = \"redaction\"");
    let run = site.run_now(&["send-test", "--to", "moi@example.org"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: [smtp] username is \"redaction\" but the environment variable MATINALE_SMTP_PASSWORD that holds its password is not set\n"
    );
}

#[test]
fn plaintext_towards_a_remote_host_is_refused() {
    let site = Site::sample();
    site.edit(
        "feed.toml",
        "host = \"127.0.0.1\"",
        "host = \"smtp.example.org\"",
    );
    let run = site.run_now(&["send-test", "--to", "moi@example.org"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("smtp.security: \"none\" would send the message and password in clear text to smtp.example.org"), "{}", run.stderr);
}

#[test]
fn a_temporary_refusal_is_retried() {
    let (port, received) = smtp_server(&[Rcpt::Defer, Rcpt::Accept]);
    let site = site_with_port(port);
    let run = site.ok(&["send-test", "--to", "moi@example.org"]);
    assert!(
        run.stdout.contains("sent to moi@example.org"),
        "{}",
        run.stdout
    );
    let data = received
        .recv_timeout(std::time::Duration::from_secs(20))
        .unwrap();
    assert!(String::from_utf8_lossy(&data).contains("Subject: [TEST] "));
}

#[test]
fn a_temporary_refusal_that_lasts_is_exit_3() {
    let (port, _received) = smtp_server(&[Rcpt::Defer, Rcpt::Defer, Rcpt::Defer]);
    let site = site_with_port(port);
    let run = site.run_now(&["send-test", "--to", "moi@example.org"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "temporarily refused after 3 tries (transient error (451): 4.3.0 try again later)"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("hint: try again later"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_relay_that_hangs_up_or_never_answers_is_exit_3_and_the_next_send_works() {
    let (port, received) = smtp_server(&[Rcpt::HangUp, Rcpt::Mute, Rcpt::Accept]);
    let site = site_with_port(port);
    site.edit("feed.toml", "timeout_s = 30", "timeout_s = 1");
    let server = format!("error: cannot send through 127.0.0.1:{port} (security = \"none\")");
    let run = site.run_now(&["send-test", "--to", "moi@example.org"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!(
            "{server}: the relay closed the connection before it accepted the message \
             (response error: incomplete response)\n  hint: the message was not sent; the relay's log \
             says why (a size limit, a filter…); try again\n"
        )
    );
    let run = site.run_now(&["send-test", "--to", "moi@example.org"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!(
            "{server}: no complete answer within 1 s ([smtp] timeout_s)\n  hint: check [smtp] host and \
             port, and that a firewall lets the connection through\n"
        )
    );
    // The relay is back: the next test send goes through, whole.
    let run = site.run_now(&["send-test", "--to", "moi@example.org"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let data = received
        .recv_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    let msg = mail_parser::MessageParser::default().parse(&data).unwrap();
    assert!(msg
        .subject()
        .unwrap()
        .starts_with("[TEST] Batterie sodium-ion"));
    assert!(
        msg.body_html(0).unwrap().contains("</html>"),
        "the whole message"
    );
    assert!(received.try_recv().is_err(), "one message only");
}

#[test]
fn to_takes_an_address_or_a_named_mailbox_and_anything_else_is_exit_2() {
    let site = Site::sample();
    site.edit("feed.toml", "host = \"127.0.0.1\"", "host = \"\"");
    let expected = "expected an address such as jean@example.org, or a name and an address \
                    such as \"Jean Dupont <jean@example.org>\"";
    for (bad, why) in [
        ("\"jean@example.org\"", "Invalid input"),
        // lettre takes it as an address, but not as the `To:` of a message.
        ("\"Jean Dupont\"@example.org", "Invalid email user"),
        ("jean@[127.0.0.1]", "Invalid input"),
        ("jean@example.org, paul@example.org", "Invalid input"),
    ] {
        let run = site.run_now(&["send-test", "--to", bad]);
        assert_eq!(run.code, 2, "{bad}: {}", run.stderr);
        assert_eq!(
            run.stderr,
            format!(
                "error: invalid value '{bad}' for '--to <ADDR>': not an email address ({why}); \
                 {expected}\n\nFor more information, try '--help'.\n"
            )
        );
        assert_eq!(run.stdout, "");
    }
    assert!(!site.path("out").exists());

    let run = site.ok(&["send-test", "--to", "\"Jean Dupont\" <jean@example.org>"]);
    assert!(
        run.stdout.ends_with(
            "written to out/outbox/2026-11-26-test-jean_example.org.eml (no [smtp] host is configured)\n"
        ),
        "{}",
        run.stdout
    );
    let eml = std::fs::read(site.path("out/outbox/2026-11-26-test-jean_example.org.eml")).unwrap();
    let msg = mail_parser::MessageParser::default().parse(&eml).unwrap();
    let to = msg.to().unwrap().first().unwrap();
    assert_eq!(
        (to.name(), to.address()),
        (Some("Jean Dupont"), Some("jean@example.org"))
    );

    let help = site.run(&["send-test", "--help"]);
    assert_eq!(help.code, 0);
    assert!(
        help.stdout
            .contains("(\"Jean Dupont <jean@example.org>\", quoted for the shell)"),
        "{}",
        help.stdout
    );
}

#[test]
fn a_relay_that_trickles_its_greeting_is_given_up_at_the_timeout() {
    let (port, _received) = smtp_server(&[Rcpt::Drip]);
    let site = site_with_port(port);
    site.edit("feed.toml", "timeout_s = 30", "timeout_s = 2");
    let started = std::time::Instant::now();
    let run = site.run_now(&["send-test", "--to", "moi@example.org"]);
    let took = started.elapsed();
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!(
            "error: cannot send through 127.0.0.1:{port} (security = \"none\"): no complete answer \
             within 2 s ([smtp] timeout_s)\n  hint: check [smtp] host and port, and that a firewall \
             lets the connection through\n"
        )
    );
    // Each byte came well within the timeout of one read: only a deadline
    // on the whole exchange ends it before the relay's 30 s of bytes.
    assert!(took < std::time::Duration::from_secs(15), "{took:?}");
}

#[test]
fn test_sends_into_the_outbox_at_once_each_land_whole() {
    let site = Site::sample();
    site.edit("feed.toml", "host = \"127.0.0.1\"", "host = \"\"");
    let eml = "out/outbox/2026-11-26-test-moi_example.org.eml";
    for round in 0..5 {
        let runs: Vec<std::process::Child> = (0..4)
            .map(|_| {
                std::process::Command::new(env!("CARGO_BIN_EXE_matinale"))
                    .args(["--now", crate::harness::SAMPLE_NOW, "-q"])
                    .args(["send-test", "--to", "moi@example.org"])
                    .current_dir(site.dir.path())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for run in runs {
            let out = run.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert_eq!(
            site.files("out/outbox"),
            ["2026-11-26-test-moi_example.org.eml"],
            "round {round}: no temporary file is left"
        );
        let msg = std::fs::read(site.path(eml)).unwrap();
        let parsed = mail_parser::MessageParser::default().parse(&msg).unwrap();
        assert!(
            parsed.body_html(0).unwrap().contains("</html>"),
            "round {round}: the whole message"
        );
        // The same bytes as a send alone writes, but for the Date and
        // Message-ID that make each test a message of its own.
        site.ok(&["send-test", "--to", "moi@example.org"]);
        let alone = std::fs::read(site.path(eml)).unwrap();
        assert!(
            unstamped(&alone) == unstamped(&msg) && alone != msg,
            "round {round}"
        );
    }
}

/// A message without its Date and Message-ID headers.
fn unstamped(eml: &[u8]) -> Vec<&[u8]> {
    eml.split(|&b| b == b'\n')
        .filter(|l| !l.starts_with(b"Date: ") && !l.starts_with(b"Message-ID: "))
        .collect()
}
