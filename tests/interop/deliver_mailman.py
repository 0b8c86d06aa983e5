#!/usr/bin/env python3
"""`matinale deliver` through the real engines: Postfix, then GNU Mailman 3.

Usage: deliver_mailman.py BIN [--mailman-venv DIR] [--kills K] [--seed S]

Runs, on loopback only, the topology of a site that sends its morning
edition to a list:

    matinale --SMTP--> Postfix (smtpd on 127.0.0.1:10025)
             --LMTP--> Mailman 3 (127.0.0.1:8024; REST on 127.0.0.1:8001)
             --SMTP--> a sink standing for the Internet (aiosmtpd, in this
                       process, on 127.0.0.1:8025), which records each copy
                       per recipient

with an announce-only list, matinale@lists.example.org (the newsletter's
sender a non-member whose posts are accepted, anyone else's held; no
subject prefix, no size limit) and three pre-verified members. Postfix and the Mailman venv are installed by .ci/run; this script
configures and starts them, and stops everything it started, with time
limits.

Each scenario runs on its own copy of the sample site whose [newsletter]
list_id differs, so that each has its own Message-ID, and checks:

  - `build --deliver`: each member gets the edition once, Message-ID the
    edition's, no "[TEST]" and no prefix, no List-Unsubscribe-Post beside
    Mailman's mailto List-Unsubscribe, the body's unsubscribe link the
    list's leave address; a second `deliver` gives nothing;
  - Postfix stopped: exit 3; started again: the next `deliver` gives one
    copy each;
  - a relay that takes the message and drops the connection before its
    reply (a proxy in front of Postfix): exit 3, then exit 1 naming the
    Message-ID, which Postfix's log shows; `--again` gives it once more;
  - a late cron (past max_delay_hours): nothing sent, exit 1; `--date`
    sends it;
  - a preview: nothing delivered, nothing recorded;
  - method = "command" with Postfix's `sendmail -t -i`: one copy each, none
    again; a failing sendmail is exit 3 with its error, then the fixed one
    delivers once;
  - `deliver` killed with SIGKILL at K random moments: never two copies
    for a member.

Exit 1 on any failure.
"""

import argparse
import base64
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LIST = "matinale@lists.example.org"
LIST_ID = "matinale.lists.example.org"
LEAVE = "matinale-leave@lists.example.org"
SENDER = "newsletter@journaldugeek.com"
MEMBERS = ["ada@readers.example", "brahim@readers.example", "chloe@readers.example"]
POSTFIX_PORT = 10025
PROXY_PORT = 10026
LMTP_PORT = 8024
REST_PORT = 8001
SINK_PORT = 8025
REST_AUTH = ("restadmin", "restpass")
NOW = "2026-11-26T07:30:00+01:00"
POSTFIX_LOG = "/var/log/matinale-ci-postfix.log"

failures = []


def check(what, ok, detail=""):
    print(f"{'ok' if ok else 'FAIL'}: {what}" + ("" if ok else f": {detail}"), flush=True)
    if not ok:
        failures.append(what)


def run(cmd, timeout=60, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_port(port, up=True, limit=60):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if port_open(port) == up:
            return True
        time.sleep(0.2)
    return False


# ---- the Internet: every copy Mailman sends, per recipient ----

class Sink:
    def __init__(self):
        self.lock = threading.Lock()
        self.copies = []  # (recipient, message)

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.copies.append((rcpt.lower(), msg))
        return "250 2.0.0 Ok: delivered"

    def of(self, message_id):
        with self.lock:
            return [(r, m) for r, m in self.copies if str(m["Message-ID"] or "").strip() == message_id]

    def counts(self, message_id):
        got = self.of(message_id)
        return {member: sum(1 for r, _ in got if r == member) for member in MEMBERS}

    def wait(self, message_id, limit=60):
        """Waits until every member has a copy of `message_id`."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if all(self.counts(message_id).values()):
                return True
            time.sleep(0.2)
        return False


# ---- Postfix ----

def postfix(*args, limit=60):
    return run(["postfix", *args], timeout=limit)


def postfix_running():
    return postfix("status").returncode == 0


def setup_postfix(work):
    if not os.path.exists("/etc/postfix/main.cf"):
        open("/etc/postfix/main.cf", "w").close()
    transport = "/etc/postfix/transport"
    with open(transport, "w") as f:
        f.write(f"lists.example.org lmtp:[127.0.0.1]:{LMTP_PORT}\n")
    settings = [
        "compatibility_level=3.6",
        "myhostname=relay.matinale-ci.example",
        "inet_interfaces=loopback-only",
        "inet_protocols=ipv4",
        "mydestination=",
        "mynetworks=127.0.0.0/8",
        "relay_domains=lists.example.org",
        f"transport_maps=hash:{transport}",
        "smtputf8_enable=no",
        f"maillog_file={POSTFIX_LOG}",
        "maillog_file_prefixes=/var",
        # Nothing here leaves the machine: other domains wait in the queue.
        "default_transport=error:no mail leaves this test",
    ]
    for s in settings:
        r = run(["postconf", "-e", s])
        if r.returncode != 0:
            sys.exit(f"postconf -e {s}: {r.stderr}")
    run(["postmap", transport])
    # Every service outside a chroot: nothing to copy into it.
    run(["postconf", "-F", "*/*/chroot = n"])
    run(["postconf", "-M", f"127.0.0.1:{POSTFIX_PORT}/inet=127.0.0.1:{POSTFIX_PORT} inet n - n - - smtpd"])
    if postfix_running():
        postfix("stop")
    r = postfix("start")
    if r.returncode != 0 or not wait_port(POSTFIX_PORT):
        sys.exit(f"postfix start: {r.stdout}{r.stderr}")


def postfix_stop():
    postfix("stop")
    wait_port(POSTFIX_PORT, up=False, limit=30)


def postfix_start():
    postfix("start")
    wait_port(POSTFIX_PORT, limit=30)


def queues_empty(mailman_var):
    q = run(["postqueue", "-j"]).stdout.strip()
    if q:
        return False
    queue = os.path.join(mailman_var, "queue")
    for name in ("in", "pipeline", "out", "retry"):
        d = os.path.join(queue, name)
        if os.path.isdir(d) and os.listdir(d):
            return False
    return True


def settle(mailman_var, limit=60):
    """Waits for Postfix and Mailman to have nothing left to send, and a
    little more for the sink to have it all."""
    deadline = time.monotonic() + limit
    calm = 0
    while time.monotonic() < deadline:
        calm = calm + 1 if queues_empty(mailman_var) else 0
        if calm >= 10:
            return True
        time.sleep(0.3)
    return False


# ---- Mailman ----

MAILMAN_CFG = """[mailman]
layout: here
site_owner: owner@lists.example.org

[paths.here]
var_dir: {var}

[database]
class: mailman.database.sqlite.SQLiteDatabase
url: sqlite:///{var}/data/mailman.db

[mta]
incoming: mailman.mta.null.NullMTA
lmtp_host: 127.0.0.1
lmtp_port: {lmtp}
smtp_host: 127.0.0.1
smtp_port: {sink}

[webservice]
hostname: 127.0.0.1
port: {rest}
admin_user: {user}
admin_pass: {password}

[archiver.prototype]
enable: no

[runner.in]
sleep_time: 0.2s

[runner.pipeline]
sleep_time: 0.2s

[runner.out]
sleep_time: 0.2s
"""


class Mailman:
    def __init__(self, venv, work):
        self.bin = os.path.join(venv, "bin", "mailman")
        self.var = os.path.join(work, "mailman-var")
        self.cfg = os.path.join(work, "mailman.cfg")
        with open(self.cfg, "w") as f:
            f.write(MAILMAN_CFG.format(var=self.var, lmtp=LMTP_PORT, sink=SINK_PORT, rest=REST_PORT,
                                       user=REST_AUTH[0], password=REST_AUTH[1]))

    def cmd(self, *args, limit=120):
        return run([self.bin, "-C", self.cfg, "--run-as-root", *args], timeout=limit)

    def start(self):
        # The master it forks keeps its output: into a file, not a pipe
        # that would never close.
        with open(os.path.join(os.path.dirname(self.cfg), "mailman-start.log"), "w") as log:
            r = subprocess.run([self.bin, "-C", self.cfg, "--run-as-root", "start", "--force"],
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=120)
        if r.returncode != 0:
            sys.exit(f"mailman start: exit {r.returncode}")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                self.rest("GET", "system/versions")
                if port_open(LMTP_PORT):
                    return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.5)
        sys.exit("mailman: the REST API or LMTP did not come up within 120 s")

    def stop(self):
        try:
            self.cmd("stop", limit=60)
        except subprocess.TimeoutExpired:
            pass
        # The master, by its pid file, if `mailman stop` could not.
        pid_file = os.path.join(self.var, "master.pid")
        if not (wait_port(LMTP_PORT, up=False, limit=30) and wait_port(REST_PORT, up=False, limit=10)) \
                and os.path.exists(pid_file):
            with open(pid_file) as f:
                try:
                    os.kill(int(f.read().strip()), signal.SIGTERM)
                except (ValueError, ProcessLookupError):
                    pass
            wait_port(LMTP_PORT, up=False, limit=30)

    def rest(self, method, path, data=None):
        url = f"http://127.0.0.1:{REST_PORT}/3.1/{path}"
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(url, data=body, method=method)
        token = base64.b64encode(f"{REST_AUTH[0]}:{REST_AUTH[1]}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(req, timeout=30) as resp:
            text = resp.read().decode()
            # What a POST made is named by its Location.
            return json.loads(text) if text else resp.headers.get("Location")

    def make_list(self):
        self.rest("POST", "domains", {"mail_host": "lists.example.org"})
        self.rest("POST", "lists", {"fqdn_listname": LIST})
        # Announce-only, as the README sets it up: only the newsletter's
        # sender posts (a non-member whose posts are accepted; anyone
        # else's are held), no subject prefix, no size limit.
        self.rest("PATCH", f"lists/{LIST_ID}/config", {
            "default_member_action": "hold",
            "default_nonmember_action": "hold",
            "subject_prefix": "",
            "max_message_size": "0",
            "administrivia": "False",
        })
        sender = self.rest("POST", "members", {"list_id": LIST_ID, "subscriber": SENDER, "role": "nonmember"})
        self.rest("PATCH", "members/" + sender.rsplit("/", 1)[1], {"moderation_action": "accept"})
        for m in MEMBERS:
            self.rest("POST", "members", {
                "list_id": LIST_ID, "subscriber": m, "pre_verified": "True",
                "pre_confirmed": "True", "pre_approved": "True", "send_welcome_message": "False",
            })
        members = self.rest("GET", "members")
        return sorted(e["email"] for e in members.get("entries", [])
                      if e["list_id"] == LIST_ID and e["role"] == "member")


# ---- a relay that takes the message and drops the connection before its reply ----

class DroppingProxy:
    """Forwards 127.0.0.1:PROXY_PORT to Postfix. On its first connection,
    once the client's final dot went through and Postfix answered, it
    closes the client's connection without passing the answer on: the
    message was taken, and the client never learns it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", PROXY_PORT))
        self.sock.listen(8)
        self.sock.settimeout(0.5)
        self.stopped = threading.Event()
        self.dropped = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        first = True
        while not self.stopped.is_set():
            try:
                client, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self.pipe, args=(client, first), daemon=True).start()
            first = False

    def pipe(self, client, drop):
        server = socket.create_connection(("127.0.0.1", POSTFIX_PORT), timeout=30)
        client.settimeout(30)
        dot = threading.Event()

        def upstream():
            tail = b""
            try:
                while True:
                    data = client.recv(65536)
                    if not data:
                        break
                    server.sendall(data)
                    if b"\r\n.\r\n" in tail + data:
                        dot.set()
                    tail = (tail + data)[-4:]
            except OSError:
                pass
            finally:
                try:
                    server.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

        up = threading.Thread(target=upstream, daemon=True)
        up.start()
        try:
            while True:
                data = server.recv(65536)
                if not data:
                    break
                if drop and dot.is_set():
                    # Postfix's "250 2.0.0 Ok: queued as …", kept from the client.
                    self.dropped.set()
                    break
                client.sendall(data)
        except OSError:
            pass
        for s in (client, server):
            try:
                s.close()
            except OSError:
                pass

    def stop(self):
        self.stopped.set()
        self.sock.close()
        self.thread.join(timeout=5)


# ---- the site ----

class Site:
    def __init__(self, binary, work, name, port=POSTFIX_PORT, delivery=None):
        self.bin = binary
        self.dir = os.path.join(work, name)
        shutil.copytree(os.path.join(ROOT, "content"), os.path.join(self.dir, "content"))
        with open(os.path.join(ROOT, "feed.toml")) as f:
            toml = f.read()
        self.list_id = f"{name}.matinale.journaldugeek.com"
        self.message_id = f"<2026-11-26.edition.{self.list_id}@www.journaldugeek.com>"
        lines = []
        for line in toml.splitlines():
            if line.startswith("port = "):
                line = f"port = {port}"
            elif line.startswith("list_id = "):
                line = f'list_id = "{self.list_id}"'
            elif line.startswith("unsubscribe_url = "):
                continue  # a list engine: its leave address
            elif line.startswith("unsubscribe_mailto = "):
                line = f'unsubscribe_mailto = "{LEAVE}"'
            elif line.startswith("timeout_s = 30"):
                line = "timeout_s = 20"
            lines.append(line)
        lines += ["", "[delivery]", *(delivery or ['method = "smtp"']), f'to = "{LIST}"', ""]
        self.toml = "\n".join(lines)
        self.write_config()

    def write_config(self):
        with open(os.path.join(self.dir, "feed.toml"), "w") as f:
            f.write(self.toml)

    def run(self, *args, now=NOW, limit=120):
        return run([self.bin, "--now", now, *args], timeout=limit, cwd=self.dir)

    def popen(self, *args, now=NOW):
        return subprocess.Popen([self.bin, "--now", now, *args], cwd=self.dir,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def deliveries(self):
        path = os.path.join(self.dir, "out", "newsletter", "deliveries.json")
        if not os.path.exists(path):
            return None
        with open(path) as f:
            return json.load(f)


def show(r):
    return f"exit {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"


def one_each(sink, site, what):
    counts = sink.counts(site.message_id)
    check(f"{what}: each member has exactly one copy of {site.message_id}",
          all(n == 1 for n in counts.values()), counts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin")
    ap.add_argument("--mailman-venv", default=os.environ.get("MAILMAN_VENV", "/tmp/matinale-ci-mailman"))
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    args = ap.parse_args()
    binary = os.path.abspath(args.bin)
    rng = random.Random(args.seed)
    print(f"seed {args.seed}", flush=True)
    # Never hang CI: the whole script has ten minutes.
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("10 minutes")))
    signal.alarm(600)

    work = tempfile.mkdtemp(prefix="matinale-deliver-")
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=SINK_PORT)
    mailman = Mailman(args.mailman_venv, work)
    proxy = None
    started = []
    try:
        controller.start()
        started.append("sink")
        started.append("postfix")
        setup_postfix(work)
        started.append("mailman")
        mailman.start()
        members = mailman.make_list()
        check("the list has its three members", members == sorted(MEMBERS), members)
        scenarios(binary, work, sink, mailman, rng, args.kills)
        proxy = DroppingProxy()
        dropped(binary, work, sink, mailman, proxy)
        check("settled: Postfix and Mailman have nothing left to send", settle(mailman.var))
    finally:
        if proxy:
            proxy.stop()
        if "mailman" in started:
            mailman.stop()
        if "postfix" in started:
            postfix_stop()
        if "sink" in started:
            controller.stop()
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print(f"{len(failures)} check(s) failed: {failures}")
        return 1
    print("all delivery checks passed")
    return 0


def scenarios(binary, work, sink, mailman, rng, kills):
    # 1. The cron one-liner, then again.
    a = Site(binary, work, "once")
    r = a.run("build", "--deliver")
    check("build --deliver exits 0", r.returncode == 0, show(r))
    check("it says delivered, with Postfix's queue id",
          f"delivered to {LIST} through 127.0.0.1:{POSTFIX_PORT}" in r.stdout and "queued as" in r.stdout, r.stdout)
    check("every member gets the edition", sink.wait(a.message_id), sink.counts(a.message_id))
    r = a.run("deliver")
    check("a second deliver exits 0 and gives nothing", r.returncode == 0 and "not given again" in r.stdout, show(r))
    r = a.run("build", "--deliver")
    check("a second build --deliver gives nothing", r.returncode == 0 and "not given again" in r.stdout, show(r))
    check("settled", settle(mailman.var))
    one_each(sink, a, "build --deliver, deliver, build --deliver")
    with open(os.path.join(a.dir, "out", "newsletter", "2026-11-26.eml"), "rb") as f:
        edition_subject = str(message_from_bytes(f.read(), policy=policy.default)["Subject"])
    for rcpt, m in sink.of(a.message_id):
        subject = str(m["Subject"])
        check(f"{rcpt}: the subject is the edition's, no [TEST] and no prefix",
              subject == edition_subject and not subject.startswith(("[TEST]", "[")), subject)
        lu = str(m["List-Unsubscribe"] or "")
        check(f"{rcpt}: Mailman wrote its own List-Unsubscribe", "mailto:" in lu and "lists.example.org" in lu, lu)
        check(f"{rcpt}: no List-Unsubscribe-Post beside a List-Unsubscribe without https",
              m["List-Unsubscribe-Post"] is None or "https://" in lu, m["List-Unsubscribe-Post"])
        check(f"{rcpt}: List-Id is the list's", LIST_ID in str(m["List-Id"] or ""), m["List-Id"])
        text = m.get_body(("plain",))
        body = text.get_content() if text else ""
        check(f"{rcpt}: the body leaves by the list's leave address", f"mailto:{LEAVE}" in body, body[-600:])
    record = (a.deliveries() or {}).get("editions", {}).get("2026-11-26", {})
    check("the record says delivered, with Postfix's answer",
          record.get("state") == "delivered" and record.get("answer", "").startswith("250 2.0.0 Ok: queued as"), record)

    # 2. Postfix down, then up.
    b = Site(binary, work, "down")
    check("built", b.run("build").returncode == 0)
    postfix_stop()
    r = b.run("deliver")
    check("Postfix stopped: exit 3", r.returncode == 3, show(r))
    check("Postfix stopped: the message names the edition, the list and the relay",
          "the edition of 2026-11-26 was not delivered to " + LIST in r.stderr
          and f"127.0.0.1:{POSTFIX_PORT}" in r.stderr and "connection refused" in r.stderr, r.stderr)
    postfix_start()
    r = b.run("deliver")
    check("Postfix started: deliver exits 0", r.returncode == 0, show(r))
    check("Postfix started: every member gets it", sink.wait(b.message_id), sink.counts(b.message_id))

    # 3. A late cron.
    c = Site(binary, work, "late")
    r = c.run("build", "--deliver", now="2026-11-26T14:00:00+01:00")
    check("a late cron: exit 1", r.returncode == 1, show(r))
    check("a late cron: it says how late and how to send it",
          "max_delay_hours = 6" in r.stderr and "matinale deliver --date 2026-11-26" in r.stderr, r.stderr)
    check("a late cron: nothing recorded", c.deliveries() is None, c.deliveries())
    r = c.run("deliver", "--date", "2026-11-26", now="2026-11-26T14:00:00+01:00")
    check("a late edition named with --date: exit 0", r.returncode == 0, show(r))
    check("a late edition named with --date: every member gets it", sink.wait(c.message_id), sink.counts(c.message_id))

    # 4. A preview.
    d = Site(binary, work, "preview")
    early = "2026-11-26T06:50:00+01:00"
    r = d.run("newsletter", "--date", "2026-11-26", now=early)
    check("a preview is made", r.returncode == 0 and "preview" in r.stdout, show(r))
    r = d.run("deliver", "--date", "2026-11-26", now=early)
    check("a preview is never delivered: exit 1", r.returncode == 1 and "preview" in r.stderr, show(r))
    r = d.run("deliver")
    check("after its send time, an unbuilt edition: nothing to deliver, exit 0",
          r.returncode == 0 and "nothing to deliver" in r.stdout, show(r))
    check("a preview: nothing recorded", d.deliveries() is None, d.deliveries())

    # 5. Postfix's sendmail.
    sendmail = 'command = ["/usr/sbin/sendmail", "-t", "-i"]'
    e = Site(binary, work, "sendmail", delivery=['method = "command"', sendmail])
    r = e.run("build", "--deliver")
    check("sendmail -t -i: exit 0", r.returncode == 0 and "exit status 0" in r.stdout, show(r))
    check("sendmail -t -i: every member gets it", sink.wait(e.message_id), sink.counts(e.message_id))
    r = e.run("deliver")
    check("sendmail -t -i: a second deliver gives nothing", r.returncode == 0 and "not given again" in r.stdout, show(r))
    f = Site(binary, work, "sendmail-fails", delivery=[
        'method = "command"', 'command = ["/usr/sbin/sendmail", "-C", "/nonexistent", "-t", "-i"]'])
    check("built", f.run("build").returncode == 0)
    r = f.run("deliver")
    check("a failing sendmail: exit 3 with its error", r.returncode == 3 and "sendmail: fatal:" in r.stderr, show(r))
    f.toml = f.toml.replace('"-C", "/nonexistent", ', "")
    f.write_config()
    r = f.run("deliver")
    check("the fixed sendmail: exit 0", r.returncode == 0, show(r))
    check("the fixed sendmail: every member gets it", sink.wait(f.message_id), sink.counts(f.message_id))

    # 6. SIGKILL at random moments.
    g = Site(binary, work, "timing")
    check("built", g.run("build").returncode == 0)
    t0 = time.monotonic()
    r = g.run("deliver")
    took = time.monotonic() - t0
    check("a deliver alone, timed", r.returncode == 0, show(r))
    print(f"a deliver takes {took * 1000:.0f} ms; kills spread over {took * 1.5 * 1000:.0f} ms", flush=True)
    killed = []
    for i in range(kills):
        s = Site(binary, work, f"kill{i}")
        check(f"kill {i}: built", s.run("build").returncode == 0)
        p = s.popen("deliver")
        time.sleep(rng.uniform(0, took * 1.5))
        p.send_signal(signal.SIGKILL)
        p.communicate(timeout=30)
        state = ((s.deliveries() or {}).get("editions", {}).get("2026-11-26") or {}).get("state", "none")
        after = s.run("deliver")
        killed.append((s, state, after))
        expected = {"none": 0, "not-delivered": 0, "handing-off": 1, "delivered": 0}.get(state)
        check(f"kill {i} (record: {state}): the next deliver exits {expected}",
              after.returncode == expected, show(after))
        if state == "handing-off":
            check(f"kill {i}: it names the Message-ID", s.message_id in after.stderr, after.stderr)
    check("settled after the kills", settle(mailman.var))
    for i, (s, state, after) in enumerate(killed):
        counts = sink.counts(s.message_id)
        check(f"kill {i} (record: {state}): no member has two copies", all(n <= 1 for n in counts.values()), counts)
        if after.returncode == 0:
            check(f"kill {i}: delivered, so each member has one", all(n == 1 for n in counts.values()), counts)
    print("records at the kills: " + ", ".join(state for _, state, _ in killed), flush=True)
    for site, what in [(b, "Postfix down then up"), (c, "late then --date"), (e, "sendmail"),
                       (f, "failing then fixed sendmail"), (g, "timed")]:
        one_each(sink, site, what)
    check("a preview: no copy", not sink.of(d.message_id), sink.counts(d.message_id))


def dropped(binary, work, sink, mailman, proxy):
    h = Site(binary, work, "dropped", port=PROXY_PORT)
    check("built", h.run("build").returncode == 0)
    r = h.run("deliver")
    check("the answer lost after the message: exit 3", r.returncode == 3, show(r))
    check("the proxy kept Postfix's answer from matinale", proxy.dropped.is_set())
    check("it says it may have been taken", "it may have been taken" in r.stderr, r.stderr)
    r = h.run("deliver")
    check("the next deliver refuses: exit 1", r.returncode == 1, show(r))
    check("it names the Message-ID and the relay's log", h.message_id in r.stderr and "relay's log" in r.stderr, r.stderr)
    # What the hint says to look for is in Postfix's log.
    check("Postfix took it: every member gets it", sink.wait(h.message_id), sink.counts(h.message_id))
    with open(POSTFIX_LOG, errors="replace") as log:
        logged = [l for l in log if f"message-id={h.message_id}" in l]
    check("Postfix's log has the Message-ID the hint names", bool(logged), h.message_id)
    r = h.run("deliver", "--again")
    check("--again: exit 0", r.returncode == 0, show(r))
    check("settled", settle(mailman.var))
    counts = sink.counts(h.message_id)
    check("--again gave it once more: two copies each (the lost answer's and --again's)",
          all(n == 2 for n in counts.values()), counts)
    r = h.run("deliver")
    check("after --again, deliver gives nothing", r.returncode == 0 and "not given again" in r.stdout, show(r))


if __name__ == "__main__":
    sys.exit(main())
