//! All-or-nothing outputs.

use crate::harness::Site;

#[test]
fn a_failed_build_leaves_previous_outputs_untouched() {
    let site = Site::sample();
    site.ok(&["build"]);
    let before = (site.contents("public"), site.contents("out/newsletter"));
    // A new article, and a broken one: the build must write nothing.
    site.write(
        "content/zz-new.md",
        "+++\ntitle = \"Nouveau\"\nurl = \"https://www.journaldugeek.com/nouveau/\"\npublished = 2026-11-26T07:00:00+01:00\nsummary = \"s\"\n+++\n",
    );
    site.write("content/zz-broken.md", "+++\ntitle = \"Cassé\"\n+++\n");
    let run = site.run_now(&["build"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: 3 problems found:\n\
         content/zz-broken.md:1: published: missing; expected an RFC 3339 date-time such as \"2026-11-26T07:00:00+01:00\"\n\
         content/zz-broken.md:1: summary: missing, and there is no body to take the first paragraph from\n\
         content/zz-broken.md:1: url: missing; give the article page's URL, or set [content] permalink \
         in feed.toml to make one from each article's date and file name, e.g. \"/{year}/{month}/{day}/{slug}/\"\n"
    );
    let after = (site.contents("public"), site.contents("out/newsletter"));
    assert_eq!(before.1.len(), 4, "an edition was made");
    assert_eq!(before, after);
}

#[test]
fn an_output_folder_that_is_a_file_is_an_error_naming_it() {
    let site = Site::sample();
    site.write("public", "not a folder");
    let run = site.run_now(&["build"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: cannot write public: File exists (os error 17); previous outputs were left unchanged\n"
    );
    assert_eq!(site.read("public"), "not a folder");
}

#[test]
fn a_failure_midway_removes_temporary_files() {
    let site = Site::sample();
    site.ok(&["build"]);
    // A folder where a category feed file should be: the main feeds are
    // written first, then this fails; nothing may change.
    let tech_rss = site.path("public/category/tech/feed.xml");
    std::fs::remove_file(&tech_rss).unwrap();
    std::fs::create_dir_all(tech_rss.join("in-the-way")).unwrap();
    site.write(
        "content/zz-new.md",
        "+++\ntitle = \"Nouveau\"\nurl = \"https://www.journaldugeek.com/nouveau/\"\npublished = 2026-11-26T07:00:00+01:00\nsummary = \"s\"\ncategories = [\"Tech\"]\n+++\n",
    );
    let main_before = site.read("public/feed.xml");
    let run = site.run_now(&["build"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with("error: cannot write public/category/tech/feed.xml: "),
        "{}",
        run.stderr
    );
    assert_eq!(site.read("public/feed.xml"), main_before);
    let temps: Vec<String> = site
        .files("public")
        .into_iter()
        .filter(|f| f.contains("matinale-tmp"))
        .collect();
    assert!(temps.is_empty(), "{temps:?}");
}

#[test]
fn concurrent_builds_never_mix_outputs() {
    let site = Site::sample();
    let exe = env!("CARGO_BIN_EXE_matinale");
    let children: Vec<_> = (0..4)
        .map(|_| {
            std::process::Command::new(exe)
                .args(["--now", crate::harness::SAMPLE_NOW, "-q", "build"])
                .current_dir(site.dir.path())
                .output()
                .unwrap()
        })
        .collect();
    // Sequential spawns above may not overlap; run a real overlap too.
    let spawned: Vec<_> = (0..4)
        .map(|_| {
            std::process::Command::new(exe)
                .args(["--now", crate::harness::SAMPLE_NOW, "-q", "build"])
                .current_dir(site.dir.path())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for out in children
        .into_iter()
        .chain(spawned.into_iter().map(|c| c.wait_with_output().unwrap()))
    {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let reference = Site::sample();
    reference.ok(&["build"]);
    for f in reference.files("public") {
        assert_eq!(
            site.read(&format!("public/{f}")),
            reference.read(&format!("public/{f}")),
            "{f}"
        );
    }
}

/// A small tmpfs mounted for one test, unmounted when dropped.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    /// `None` where the machine does not let the test mount one (not
    /// root, no tmpfs): said on stderr, and the test has nothing to check.
    fn mount(at: std::path::PathBuf, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(&at).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&at)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("skipped: this machine does not let the test mount a tmpfs");
        }
        ok.then_some(SmallDisk(at))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_is_exit_1_naming_the_path_and_keeps_the_previous_outputs() {
    let site = Site::sample();
    let Some(_disk) = SmallDisk::mount(site.path("public"), "2m") else {
        return;
    };
    site.ok(&["build"]);
    let before = site.contents("public");
    // An article as large as the disk: its feeds cannot be written.
    let body = "Un paragraphe de remplissage pour un très long article. ".repeat(12_000);
    site.write(
        "content/zz-long.md",
        &format!("+++\ntitle = \"Très long\"\nurl = \"https://www.journaldugeek.com/long/\"\npublished = 2026-11-26T07:00:00+01:00\nsummary = \"s\"\ncategories = [\"Tech\"]\n+++\n{body}\n"),
    );
    let run = site.run_now(&["build"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.starts_with("error: cannot write public/")
            && run.stderr.ends_with(
                ": No space left on device (os error 28); previous outputs were left unchanged\n"
            ),
        "{}",
        run.stderr
    );
    assert_eq!(
        site.contents("public"),
        before,
        "every previous output intact, no temporary file left"
    );
    // Room again: the next build goes through.
    std::fs::remove_file(site.path("content/zz-long.md")).unwrap();
    site.ok(&["build"]);
}

#[test]
fn a_build_of_hundreds_of_outputs_commits_them_all() {
    // 120 categories: 363 feeds, past the point where one syncfs replaces
    // a sync per file.
    let site = Site::fixture("collision");
    let mut lines = String::new();
    for i in 0..120 {
        lines.push_str(&format!(
            "{{\"title\":\"T {i}\",\"url\":\"https://ex.example/{i}/\",\"published\":\"2026-11-25T10:00:00+01:00\",\"summary\":\"s\",\"categories\":[\"Rubrique {i}\"]}}\n"
        ));
    }
    site.write("articles.jsonl", &lines);
    let run = site.ok(&["feeds"]);
    let files = site.files("public");
    assert_eq!(
        files.iter().filter(|f| f.starts_with("category/")).count(),
        360
    );
    assert!(
        run.stdout.contains(&format!(
            "{n} files: {n} written, 0 unchanged",
            n = files.len()
        )),
        "{}",
        run.stdout
    );
    let run = site.ok(&["feeds"]);
    assert!(
        run.stdout.contains(&format!(
            "{n} files: 0 written, {n} unchanged",
            n = files.len()
        )),
        "{}",
        run.stdout
    );
}
