//! `deliver` and `build --deliver`: the edition handed, once, to a relay
//! on loopback run by the test (or to a command), through every way a
//! hand-off can end.

use crate::harness::Site;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the test relay answers one connection.
#[derive(Clone, Copy, Debug)]
enum Session {
    /// Takes the message: "250 2.0.0 Ok: queued as B651CCC863".
    Accept,
    /// 550 to RCPT TO.
    RejectRcpt,
    /// Reads the whole message, then refuses it (554).
    RefuseMessage,
    /// Hangs up instead of answering RCPT TO.
    DropAtRcpt,
    /// Reads the whole message, then hangs up without a word.
    DropAfterBody,
    /// Reads the whole message and says nothing, for 5 s.
    SilentAfterBody,
}

/// One message the relay read to its final dot.
#[derive(Debug, Clone)]
struct Received {
    from: String,
    rcpt: Vec<String>,
    data: Vec<u8>,
    /// Whether the relay answered it with 250.
    accepted: bool,
}

type Mailbox = Arc<Mutex<Vec<Received>>>;

/// A relay on 127.0.0.1 answering its connections as `sessions` says, in
/// order, and every later one with [`Session::Accept`] (so that a copy
/// given twice is seen). Returns its port and what it read.
fn relay(sessions: &[Session]) -> (u16, Mailbox) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let received: Mailbox = Arc::default();
    let (mailbox, sessions) = (received.clone(), Vec::from(sessions));
    let mut sessions = sessions.into_iter();
    std::thread::spawn(move || loop {
        let Ok((stream, _)) = listener.accept() else {
            return;
        };
        let session = sessions.next().unwrap_or(Session::Accept);
        let mailbox = mailbox.clone();
        std::thread::spawn(move || serve(stream, session, &mailbox));
    });
    (port, received)
}

fn serve(stream: std::net::TcpStream, session: Session, mailbox: &Mailbox) {
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut out = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let mut say = |s: &str| out.write_all(format!("{s}\r\n").as_bytes());
    let _ = say("220 relay.test ESMTP");
    let (mut from, mut rcpt) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let cmd = line.to_ascii_uppercase();
        let arg = || {
            line.split_once(':')
                .map_or("", |(_, a)| a.trim())
                .to_owned()
        };
        let _ = if cmd.starts_with("EHLO") {
            say("250-relay.test\r\n250 8BITMIME")
        } else if cmd.starts_with("MAIL FROM") {
            from = arg();
            say("250 2.1.0 Ok")
        } else if cmd.starts_with("RCPT TO") {
            if let Session::DropAtRcpt = session {
                return;
            }
            if let Session::RejectRcpt = session {
                say("550 5.1.1 <matinale@lists.example.org>: Recipient address rejected")
            } else {
                rcpt.push(arg());
                say("250 2.1.5 Ok")
            }
        } else if cmd.starts_with("DATA") {
            say("354 End data with <CR><LF>.<CR><LF>").unwrap();
            let mut data = Vec::new();
            loop {
                let mut l = Vec::new();
                if reader.read_until(b'\n', &mut l).unwrap_or(0) == 0 {
                    return;
                }
                if l == b".\r\n" {
                    break;
                }
                data.extend_from_slice(l.strip_prefix(b".").unwrap_or(&l));
            }
            let accepted = matches!(session, Session::Accept);
            mailbox.lock().unwrap().push(Received {
                from: from.clone(),
                rcpt: rcpt.clone(),
                data,
                accepted,
            });
            match session {
                Session::DropAfterBody => return,
                Session::SilentAfterBody => {
                    std::thread::sleep(Duration::from_secs(20));
                    return;
                }
                Session::RefuseMessage => say("554 5.7.1 Message rejected: spam"),
                _ => say("250 2.0.0 Ok: queued as B651CCC863"),
            }
        } else if cmd.starts_with("QUIT") {
            let _ = say("221 2.0.0 Bye");
            return;
        } else if cmd.starts_with("RSET") || cmd.starts_with("NOOP") {
            say("250 2.0.0 Ok")
        } else {
            say("502 5.5.2 Error: command not recognized")
        };
    }
}

/// Waits a little for the relay's mailbox to hold `n` messages, then
/// returns them.
fn messages(mailbox: &Mailbox, n: usize) -> Vec<Received> {
    for _ in 0..50 {
        if mailbox.lock().unwrap().len() >= n {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    mailbox.lock().unwrap().clone()
}

const LIST: &str = "matinale@lists.example.org";
const MESSAGE_ID: &str = "<2026-11-26.edition.matinale.journaldugeek.com@www.journaldugeek.com>";

/// The sample site, delivering through the relay on `port`.
fn site_delivering(port: u16) -> Site {
    let site = Site::sample();
    site.edit("feed.toml", "port = 2525", format!("port = {port}"));
    let config = site.read("feed.toml");
    site.write(
        "feed.toml",
        &format!("{config}\n[delivery]\nmethod = \"smtp\"\nto = \"{LIST}\"\n"),
    );
    site
}

fn via(port: u16) -> String {
    format!("127.0.0.1:{port} (security = \"none\")")
}

fn delivered_line(port: u16) -> String {
    format!(
        "newsletter 2026-11-26: delivered to {LIST} through {}: 250 2.0.0 Ok: queued as B651CCC863 (Message-ID {MESSAGE_ID})\n",
        via(port)
    )
}

fn already_line(port: u16) -> String {
    format!(
        "newsletter 2026-11-26: delivered at 2026-11-26 07:30:00 +01:00 to {LIST} through {} (250 2.0.0 Ok: queued as B651CCC863); not given again (Message-ID {MESSAGE_ID})\n",
        via(port)
    )
}

fn parse(data: &[u8]) -> mail_parser::Message<'_> {
    mail_parser::MessageParser::default()
        .parse(data)
        .expect("a MIME message")
}

#[test]
fn build_deliver_hands_the_master_copy_to_the_list_once() {
    let (port, mailbox) = relay(&[]);
    let site = site_delivering(port);
    let run = site.ok(&["build", "--deliver"]);
    assert!(
        run.stdout.ends_with(&delivered_line(port)),
        "{}",
        run.stdout
    );
    let got = messages(&mailbox, 1);
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert_eq!(
        (m.from.as_str(), m.rcpt.as_slice()),
        (
            "<newsletter@journaldugeek.com>",
            [format!("<{LIST}>")].as_slice()
        )
    );
    // The master copy, byte for byte, but To: and the List-* lines.
    let master = site.read("out/newsletter/2026-11-26.eml");
    let (to, lists) = (
        "To: \"Journal du Geek\" <newsletter@journaldugeek.com>\r\n",
        "List-Id: \"La Matinale\" <matinale.journaldugeek.com>\r\nList-Unsubscribe: \
         <https://www.journaldugeek.com/newsletter/desinscription?token=*|UNSUB_TOKEN|*>,\r\n \
         <mailto:desinscription@journaldugeek.com?subject=unsubscribe>\r\nList-Unsubscribe-Post: \
         List-Unsubscribe=One-Click\r\n",
    );
    assert!(master.contains(to) && master.contains(lists), "{master}");
    let expected = master
        .replace(to, &format!("To: {LIST}\r\n"))
        .replace(lists, "");
    // The relay reads up to the final dot, after the CRLF lettre adds.
    assert!(
        String::from_utf8_lossy(&m.data) == format!("{expected}\r\n"),
        "the copy handed over"
    );
    let msg = parse(&m.data);
    assert_eq!(msg.message_id(), Some(MESSAGE_ID.trim_matches(['<', '>'])));
    assert_eq!(msg.to().unwrap().first().unwrap().address(), Some(LIST));
    assert!(msg.subject().unwrap().starts_with("Batterie sodium-ion"));
    for h in ["List-Id", "List-Unsubscribe", "List-Unsubscribe-Post"] {
        assert_eq!(msg.header_raw(h), None, "{h}");
    }
    assert!(msg
        .body_html(0)
        .unwrap()
        .contains("https://www.journaldugeek.com/newsletter/desinscription?token=*|UNSUB_TOKEN|*"));
    assert_eq!(
        site.read("out/newsletter/deliveries.json"),
        format!(
            r#"{{
  "editions": {{
    "2026-11-26": {{
      "state": "delivered",
      "message_id": "{MESSAGE_ID}",
      "to": "{LIST}",
      "via": "127.0.0.1:{port} (security = \"none\")",
      "started": "2026-11-26T06:30:00Z",
      "ended": "2026-11-26T06:30:00Z",
      "answer": "250 2.0.0 Ok: queued as B651CCC863"
    }}
  }}
}}
"#
        )
    );

    // Again, and again through build: nothing given twice.
    let run = site.ok(&["deliver"]);
    assert_eq!(run.stdout, already_line(port));
    let run = site.ok(&["build", "--deliver"]);
    assert!(run.stdout.ends_with(&already_line(port)), "{}", run.stdout);
    let run = site.ok(&["deliver", "--date", "2026-11-26", "--again"]);
    assert_eq!(run.stdout, already_line(port));
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(mailbox.lock().unwrap().len(), 1, "one copy only");
}

#[test]
fn a_refusing_or_dead_relay_is_exit_3_and_the_next_run_delivers() {
    let (port, mailbox) = relay(&[Session::RejectRcpt, Session::RefuseMessage]);
    let site = site_delivering(port);
    site.ok(&["build"]);
    let server = format!("error: cannot send through {}", via(port));
    let run = site.run_now(&["deliver"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!(
            "{server}: the edition of 2026-11-26 was not delivered to {LIST}: refused (permanent error (550): \
             5.1.1 <matinale@lists.example.org>: Recipient address rejected)\n  hint: the relay's answer above \
             says why; check [delivery] to and [newsletter] from; the next run tries again\n"
        )
    );
    assert!(site
        .read("out/newsletter/deliveries.json")
        .contains("\"state\": \"not-delivered\""));
    let run = site.run_now(&["deliver"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(&format!(
            "{server}: the edition of 2026-11-26 was not delivered to {LIST}: refused (permanent error (554): 5.7.1 Message rejected: spam)"
        )),
        "{}",
        run.stderr
    );
    let run = site.ok(&["deliver"]);
    assert_eq!(run.stdout, delivered_line(port));
    let got = messages(&mailbox, 2);
    let accepted: Vec<bool> = got.iter().map(|m| m.accepted).collect();
    assert_eq!(accepted, [false, true], "refused once, then taken once");

    // No relay at all.
    let dead = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let site = site_delivering(dead);
    site.ok(&["build"]);
    let run = site.run_now(&["deliver"]);
    assert_eq!(run.code, 3);
    assert_eq!(
        run.stderr,
        format!(
            "error: cannot send through {}: the edition of 2026-11-26 was not delivered to {LIST}: connection refused\n  \
             hint: is the relay running, and are [smtp] host and port right? (the next run tries again)\n",
            via(dead)
        )
    );
}

#[test]
fn a_relay_lost_after_the_whole_message_is_never_given_again_without_again() {
    let (port, mailbox) = relay(&[Session::DropAfterBody]);
    let site = site_delivering(port);
    site.ok(&["build"]);
    let run = site.run_now(&["deliver"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!(
            "error: cannot send through {}: the edition of 2026-11-26 for {LIST}: the whole message was sent, \
             then the connection was lost before the relay's answer (response error: incomplete response); it may \
             have been taken\n  hint: it is not given again by itself, so that no subscriber gets it twice: look \
             for Message-ID {MESSAGE_ID} in the relay's log; if it never arrived, give it again with \
             `matinale deliver --date 2026-11-26 --again`\n",
            via(port)
        )
    );
    assert!(site
        .read("out/newsletter/deliveries.json")
        .contains("\"state\": \"handing-off\""));
    for args in [&["deliver"][..], &["build", "--deliver"][..]] {
        let run = site.run_now(args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.ends_with(&format!(
                "error: the edition of 2026-11-26 (Message-ID {MESSAGE_ID}) was being handed to {LIST} through {} \
                 at 2026-11-26 07:30 +01:00, and that run did not learn whether it was taken (the connection was \
                 lost after the message was sent, or the run was stopped): it is not given again by itself, so \
                 that no subscriber gets it twice\n  hint: look for Message-ID {MESSAGE_ID} in the relay's log \
                 (Postfix: `grep -F '{}' /var/log/mail.log`, then the queue id's `status=`); if it arrived, there \
                 is nothing to do; if it never did, give it again with `matinale deliver --date 2026-11-26 --again`\n",
                via(port),
                MESSAGE_ID.trim_matches(['<', '>'])
            )),
            "{}",
            run.stderr
        );
    }
    assert_eq!(messages(&mailbox, 1).len(), 1);
    let run = site.ok(&["deliver", "--again"]);
    assert_eq!(run.stdout, delivered_line(port));
    let run = site.ok(&["deliver"]);
    assert_eq!(run.stdout, already_line(port));
    std::thread::sleep(Duration::from_millis(200));
    let got = mailbox.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "--again gave it once");
    assert!(got[1].accepted);
}

#[test]
fn a_relay_silent_after_the_message_is_an_unknown_outcome_at_the_deadline() {
    let (port, _mailbox) = relay(&[Session::SilentAfterBody]);
    let site = site_delivering(port);
    site.edit("feed.toml", "timeout_s = 30", "timeout_s = 1");
    site.ok(&["build"]);
    let started = std::time::Instant::now();
    let run = site.run_now(&["deliver"]);
    // The relay stays silent 20 s; the bound is loose for a loaded machine.
    assert!(started.elapsed() < Duration::from_secs(12));
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "the message was being sent and no final answer came within 1 s ([smtp] timeout_s); it may have been taken"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(site.run_now(&["deliver"]).code, 1);
}

#[test]
fn a_relay_lost_before_the_message_took_nothing_and_the_next_run_gives_it() {
    let (port, mailbox) = relay(&[Session::DropAtRcpt]);
    let site = site_delivering(port);
    site.ok(&["build"]);
    let run = site.run_now(&["deliver"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!(
            "error: cannot send through {}: the edition of 2026-11-26 was not delivered to {LIST}: the relay \
             closed the connection before it accepted the message (response error: incomplete response)\n  hint: \
             the message was not sent; the relay's log says why (a size limit, a filter…); the next run tries again\n",
            via(port)
        )
    );
    let run = site.ok(&["deliver"]);
    assert_eq!(run.stdout, delivered_line(port));
    assert_eq!(messages(&mailbox, 1).len(), 1);
}

#[test]
fn a_late_edition_is_delivered_only_when_named() {
    let (port, mailbox) = relay(&[]);
    let site = site_delivering(port);
    // Seven hours past the 07:00 send time; six are allowed.
    let late = ["--now", "2026-11-26T14:00:00+01:00"];
    let run = site.run(&[&late[..], &["build", "--deliver"]].concat());
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run
        .stdout
        .contains("newsletter 2026-11-26: edition, 11 articles"));
    assert_eq!(
        run.stderr,
        format!(
            "error: the edition of 2026-11-26 is not handed to {LIST} through {}: it was due at 2026-11-26 07:00 \
             +01:00, 7 h ago, more than [delivery] max_delay_hours = 6, and a late edition is not delivered by \
             itself, so that no one gets old news by surprise\n  hint: to deliver it all the same: matinale \
             deliver --date 2026-11-26\n",
            via(port)
        )
    );
    assert!(!site.path("out/newsletter/deliveries.json").exists());
    let run = site.run(&[&late[..], &["deliver", "--date", "2026-11-26"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(messages(&mailbox, 1).len(), 1);
    // Within the delay, it goes by itself.
    let (port, mailbox) = relay(&[]);
    let site = site_delivering(port);
    site.edit(
        "feed.toml",
        "[delivery]\n",
        "[delivery]\nmax_delay_hours = 8\n",
    );
    let run = site.run(&[&late[..], &["build", "--deliver"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(messages(&mailbox, 1).len(), 1);
}

#[test]
fn previews_are_never_delivered_nor_recorded() {
    let (port, mailbox) = relay(&[]);
    let site = site_delivering(port);
    // Ten minutes before the send time.
    let early = ["--now", "2026-11-26T06:50:00+01:00"];
    let run = site.run(&[&early[..], &["newsletter", "--date", "2026-11-26"]].concat());
    assert!(run.stdout.contains("preview"), "{}", run.stdout);
    let run = site.run(&[&early[..], &["deliver", "--date", "2026-11-26"]].concat());
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        format!(
            "error: the edition of 2026-11-26 is not handed to {LIST} through {}: it is due at 2026-11-26 07:00 \
             +01:00; until then it is a preview, and a preview is never delivered\n",
            via(port)
        )
    );
    let nothing = |date: &str| {
        format!(
            "newsletter {date}: nothing to deliver to {LIST} through {}: no edition of {date} was made \
             (no new article since the last one, or no build since its send time)\n",
            via(port)
        )
    };
    let run = site.run(&[&early[..], &["deliver"]].concat());
    assert_eq!((run.code, run.stdout), (0, nothing("2026-11-25")));
    // Past the send time, the preview is still no edition.
    let run = site.ok(&["deliver"]);
    assert_eq!(run.stdout, nothing("2026-11-26"));
    assert!(!site.path("out/newsletter/deliveries.json").exists());
    std::thread::sleep(Duration::from_millis(200));
    assert!(mailbox.lock().unwrap().is_empty());
}

/// The sample site, delivering through `command` (run in the site's
/// folder).
fn site_with_command(command: &str) -> Site {
    let site = Site::sample();
    let config = site.read("feed.toml");
    site.write(
        "feed.toml",
        &format!(
            "{config}\n[delivery]\nmethod = \"command\"\nto = \"{LIST}\"\ncommand = {command}\n"
        ),
    );
    site
}

#[test]
fn a_command_gets_the_message_on_its_input_once() {
    // Each run of the command leaves its own file.
    let site = site_with_command(r#"["sh", "-c", "mkdir -p given && cat > given/$$.eml"]"#);
    let run = site.ok(&["build", "--deliver"]);
    assert!(
        run.stdout.ends_with(&format!(
            "newsletter 2026-11-26: delivered to {LIST} through `sh -c 'mkdir -p given && cat > given/$$.eml'`: \
             exit status 0 (Message-ID {MESSAGE_ID})\n"
        )),
        "{}",
        run.stdout
    );
    site.ok(&["deliver"]);
    site.ok(&["build", "--deliver"]);
    let given = site.contents("given");
    assert_eq!(given.len(), 1, "one copy only");
    let msg = parse(&given[0].1);
    assert_eq!(msg.message_id(), Some(MESSAGE_ID.trim_matches(['<', '>'])));
    assert_eq!(msg.to().unwrap().first().unwrap().address(), Some(LIST));
    assert_eq!(msg.header_raw("List-Unsubscribe-Post"), None);
    assert!(!msg.subject().unwrap().contains("[TEST]"));
}

#[test]
fn a_failing_command_is_exit_3_with_its_error_and_the_next_run_gives_it() {
    let failing = r#"["sh", "-c", "cat > /dev/null; echo 'sendmail: fatal: queue file write error' >&2; exit 75"]"#;
    let site = site_with_command(failing);
    site.ok(&["build"]);
    let run = site.run_now(&["deliver"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!(
            "error: cannot send through `sh -c 'cat > /dev/null; echo '\\''sendmail: fatal: queue file write \
             error'\\'' >&2; exit 75'`: the edition of 2026-11-26 was not delivered to {LIST}: it exited with status \
             75: sendmail: fatal: queue file write error\n  hint: its message above says why; nothing was delivered, \
             and the next run tries again\n"
        )
    );
    site.edit("feed.toml", failing, r#"["sh", "-c", "cat > given.eml"]"#);
    site.ok(&["deliver"]);
    assert!(parse(site.read("given.eml").as_bytes())
        .message_id()
        .is_some());

    // Killed while it had the message: it may have taken it.
    let site = site_with_command(r#"["sh", "-c", "cat > given.eml; kill -9 $$"]"#);
    site.ok(&["build"]);
    let run = site.run_now(&["deliver"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("it was stopped by a signal (signal: 9 (SIGKILL)): nothing on its standard error; it may have been taken"),
        "{}",
        run.stderr
    );
    assert_eq!(site.run_now(&["deliver"]).code, 1);

    // A program that is not there is a local problem.
    let site = site_with_command(r#"["/nonexistent/sendmail", "-t", "-i"]"#);
    site.ok(&["build"]);
    let run = site.run_now(&["deliver"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!(
            "error: the edition of 2026-11-26 was not delivered to {LIST}: cannot run [delivery] command \
             `/nonexistent/sendmail -t -i`: No such file or directory (os error 2)\n"
        )
    );
}

#[test]
fn handed_to_a_list_the_body_leaves_by_the_list_s_leave_address() {
    let site = site_with_command(r#"["sh", "-c", "cat > given.eml"]"#);
    site.edit(
        "feed.toml",
        "unsubscribe_url = \"https://www.journaldugeek.com/newsletter/desinscription?token={{ token }}\"\n",
        "",
    );
    site.edit(
        "feed.toml",
        "unsubscribe_mailto = \"desinscription@journaldugeek.com\"",
        "unsubscribe_mailto = \"matinale-leave@lists.example.org\"",
    );
    site.ok(&["build", "--deliver"]);
    let given = std::fs::read(site.path("given.eml")).unwrap();
    let msg = parse(&given);
    let leave = "mailto:matinale-leave@lists.example.org?subject=unsubscribe";
    assert!(msg.body_html(0).unwrap().contains(leave));
    assert!(msg.body_text(0).unwrap().contains(leave));
    assert!(!msg.body_html(0).unwrap().contains("UNSUB_TOKEN"));
    // The master copy keeps its List-* headers, but no one-click promise
    // without an https link to post to.
    let master = std::fs::read(site.path("out/newsletter/2026-11-26.eml")).unwrap();
    let master = parse(&master);
    assert_eq!(
        master.header_raw("List-Unsubscribe").map(str::trim),
        Some(format!("<{leave}>").as_str())
    );
    assert_eq!(master.header_raw("List-Unsubscribe-Post"), None);
    assert!(master.header_raw("List-Id").is_some());
}

#[test]
fn delivery_settings_are_checked_with_their_lines() {
    let site = Site::sample();
    let run = site.run_now(&["deliver"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: 1 problem found:\nfeed.toml: delivery: not set, so nothing says where editions go; add e.g.\n  \
         [delivery]\n  method = \"smtp\"   # through [smtp], or \"command\" with command = [\"/usr/sbin/sendmail\", \
         \"-t\", \"-i\"]\n  to = \"matinale@lists.example.org\"   # the list's posting address\n"
    );
    let run = site.run_now(&["build", "--deliver"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "", "nothing built");

    site.edit("feed.toml", "host = \"127.0.0.1\"", "host = \"\"");
    site.edit(
        "feed.toml",
        "unsubscribe_url = \"https://www.journaldugeek.com/newsletter/desinscription?token={{ token }}\"\n",
        "",
    );
    site.edit(
        "feed.toml",
        "unsubscribe_mailto = \"desinscription@journaldugeek.com\"\n",
        "",
    );
    let config = site.read("feed.toml");
    site.write(
        "feed.toml",
        &format!("{config}\n[delivery]\nto = \"la liste\"\nmax_delay_hours = 0\n"),
    );
    let run = site.run_now(&["deliver"]);
    assert_eq!(run.code, 1);
    let line = |key: &str| {
        let config = site.read("feed.toml");
        let after = config.find("[delivery]").unwrap();
        let at = after + config[after..].find(&format!("{key} =")).unwrap();
        config[..at].lines().count() + 1
    };
    assert_eq!(
        run.stderr,
        format!(
            "error: in the configuration feed.toml\n  caused by: 4 problems found:\n\
             feed.toml: delivery.method: \"smtp\" hands the edition to the [smtp] relay, but [smtp] host is not set; \
             set it (e.g. the site's Postfix, \"127.0.0.1\"), or use method = \"command\"\n\
             feed.toml: newsletter.unsubscribe_mailto: must be set with [delivery] when unsubscribe_url is not: the \
             edition's unsubscribe link would be a page of the site that no list engine answers; set it to the list's \
             leave address, e.g. \"matinale-leave@lists.example.org\", or set unsubscribe_url to the platform's \
             unsubscribe page\n\
             feed.toml:{}: delivery.to: `la liste` is not an address (Missing domain or user); expected e.g. \
             \"matinale@lists.example.org\"\n\
             feed.toml:{}: delivery.max_delay_hours: must be between 1 and 8760 (hours: a year at most), not 0\n",
            line("to"),
            line("max_delay_hours")
        )
    );
}

#[test]
fn runs_at_once_give_the_edition_once() {
    let (port, mailbox) = relay(&[]);
    let site = site_delivering(port);
    site.ok(&["build"]);
    let runs: Vec<std::process::Child> = (0..4)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_matinale"))
                .args(["--now", crate::harness::SAMPLE_NOW, "-q", "deliver"])
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
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(mailbox.lock().unwrap().len(), 1);
}

#[test]
fn a_damaged_record_stops_the_run_rather_than_deliver_again() {
    let (port, mailbox) = relay(&[]);
    let site = site_delivering(port);
    site.ok(&["build", "--deliver"]);
    site.write(
        "out/newsletter/deliveries.json",
        "{\"editions\": {\"2026-11-26\": ",
    );
    let run = site.run_now(&["deliver"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: 1 problem found:\nout/newsletter/deliveries.json: EOF while parsing a value at line 1 column 28; \
         mend it by hand rather than delete it: the editions it records as delivered would be delivered again\n"
    );
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(mailbox.lock().unwrap().len(), 1);
}

#[test]
fn a_command_that_hangs_or_reads_nothing_is_never_taken_for_delivered() {
    // Still running at the deadline, with the message read: it may have
    // taken it.
    let site = site_with_command(r#"["sh", "-c", "cat > given.eml; sleep 20"]"#);
    site.edit("feed.toml", "timeout_s = 30", "timeout_s = 1");
    site.ok(&["build"]);
    let started = std::time::Instant::now();
    let run = site.run_now(&["deliver"]);
    // The command sleeps 20 s: ending well before shows the deadline (the
    // bound is loose for a loaded machine).
    assert!(started.elapsed() < Duration::from_secs(15));
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "it had the message and did not exit within 1 s ([smtp] timeout_s); it was stopped; it may have been taken"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(site.run_now(&["deliver"]).code, 1);

    // Exits 0 without reading it: not delivered.
    let site = site_with_command(r#"["true"]"#);
    site.ok(&["build"]);
    let run = site.run_now(&["deliver"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("was not delivered to matinale@lists.example.org: it exited with status 0 before reading the whole message"),
        "{}",
        run.stderr
    );
    assert!(site
        .read("out/newsletter/deliveries.json")
        .contains("\"state\": \"not-delivered\""));
}

#[test]
fn only_the_edition_s_own_master_copy_is_handed_over() {
    let (port, mailbox) = relay(&[]);
    let site = site_delivering(port);
    site.ok(&["build"]);
    let eml = "out/newsletter/2026-11-26.eml";
    site.edit(eml, ".edition.", ".test-0123456789abcdef.");
    let run = site.run_now(&["deliver"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!(
            "error: the edition of 2026-11-26 is not handed to {LIST} through {}: {eml}: its Message-ID is \
             <2026-11-26.test-0123456789abcdef.matinale.journaldugeek.com@www.journaldugeek.com>, not the \
             edition's {MESSAGE_ID}: it is not the edition's master copy\n  hint: make it again with \
             `matinale newsletter --date 2026-11-26`\n",
            via(port)
        )
    );
    std::fs::remove_file(site.path(eml)).unwrap();
    let run = site.run_now(&["deliver"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "cannot read its master copy {eml}: No such file or directory (os error 2)"
        )),
        "{}",
        run.stderr
    );
    // Made again from the ledger, it goes.
    site.ok(&["newsletter", "--date", "2026-11-26"]);
    let run = site.ok(&["deliver"]);
    assert_eq!(run.stdout, delivered_line(port));
    assert_eq!(messages(&mailbox, 1).len(), 1);
    assert!(!site
        .read("out/newsletter/deliveries.json")
        .contains("test-"));
}
