//! Planted files, links, pipes and odd folders: a run writes, renames and
//! deletes only inside its own folders, never through a link, deletes only
//! what it wrote, and stops before gutting the live feeds.

use crate::harness::Site;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::{Duration, Instant};

fn is_link(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink())
}

#[test]
fn a_planted_temporary_link_is_never_written_through() {
    let site = Site::sample();
    site.write("victim.txt", "precious");
    std::fs::create_dir_all(site.path("public")).unwrap();
    // The name earlier releases used for feed.xml's temporary file.
    for name in ["feed.xml", "atom.xml", "feed.json"] {
        symlink(
            site.path("victim.txt"),
            site.path(&format!("public/.{name}.matinale-tmp")),
        )
        .unwrap();
    }
    site.ok(&["build"]);
    assert_eq!(site.read("victim.txt"), "precious");
    for name in ["feed.xml", "atom.xml", "feed.json"] {
        let p = site.path(&format!("public/{name}"));
        assert!(!is_link(&p), "{name} must be a file of its own");
        assert!(site.read(&format!("public/{name}")).len() > 1000);
    }
    // The run's own temporary files are gone; the planted links are left.
    let left: Vec<String> = site
        .files("public")
        .into_iter()
        .filter(|f| f.ends_with(".matinale-tmp"))
        .collect();
    assert_eq!(
        left,
        [
            ".atom.xml.matinale-tmp",
            ".feed.json.matinale-tmp",
            ".feed.xml.matinale-tmp"
        ]
    );
}

#[test]
fn an_output_sub_folder_that_is_a_link_is_refused_and_nothing_lands_outside() {
    let site = Site::sample();
    std::fs::create_dir_all(site.path("elsewhere")).unwrap();
    std::fs::create_dir_all(site.path("public")).unwrap();
    symlink(site.path("elsewhere"), site.path("public/category")).unwrap();
    let run = site.run_now(&["build"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error: public/category is a symbolic link: matinale writes and deletes only in folders it \
         made, never through a link; remove the link (an output folder named in feed.toml may \
         itself be a link)\n"
    );
    assert_eq!(site.files("elsewhere"), Vec::<String>::new());
    // All or nothing: not one feed was published.
    assert!(!site.path("public/feed.xml").exists());
}

#[test]
fn an_output_folder_that_is_a_link_is_the_users_choice() {
    let site = Site::sample();
    std::fs::create_dir_all(site.path("www")).unwrap();
    site.edit(
        "feed.toml",
        "output_dir = \"public\"",
        "output_dir = \"served\"",
    );
    symlink(site.path("www"), site.path("served")).unwrap();
    site.ok(&["build"]);
    assert!(site.path("www/feed.xml").is_file());
    assert!(site.path("www/category/tech/atom.xml").is_file());
}

#[test]
fn pruning_deletes_only_the_files_matinale_wrote() {
    let site = Site::sample();
    site.ok(&["build"]);
    // Another tool's files beside matinale's.
    site.write("public/category/podcast/feed.xml", "another tool's");
    site.write("public/category/.hidden/feed.xml", "hidden");
    site.write("public/category/cinema-series/notes.txt", "the editor's");
    // The only article of « Cinéma & Séries » goes: its feeds must go too.
    std::fs::remove_file(site.path("content/2026-11-25-serie-sf-francaise.md")).unwrap();
    let run = site.run_now(&["feeds"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        site.files("public/category/cinema-series"),
        ["notes.txt"],
        "matinale's three feeds removed, the editor's file kept"
    );
    assert_eq!(
        site.read("public/category/podcast/feed.xml"),
        "another tool's"
    );
    assert_eq!(site.read("public/category/.hidden/feed.xml"), "hidden");
    assert!(run
        .stdout
        .contains("public/category/cinema-series/feed.xml"));
    let manifest = site.read(".matinale/manifest.json");
    assert!(!manifest.contains("cinema-series"), "{manifest}");
    assert!(
        manifest.contains("\"category/tech/feed.xml\""),
        "{manifest}"
    );
}

#[test]
fn a_category_folder_emptied_of_matinales_files_is_removed() {
    let site = Site::sample();
    site.ok(&["build"]);
    std::fs::remove_file(site.path("content/2026-11-25-serie-sf-francaise.md")).unwrap();
    site.ok(&["feeds"]);
    assert!(!site.path("public/category/cinema-series").exists());
    assert!(site.path("public/category/tech/feed.xml").is_file());
}

#[test]
fn overlapping_output_folders_are_refused_at_check() {
    let cases = [
        (
            ("output_dir = \"out/newsletter\"", "output_dir = \"public/lettre\""),
            "error: in the configuration feed.toml\n  caused by: 1 problem found:\nfeed.toml:55: newsletter.output_dir: `{root}/public/lettre` and [feeds] output_dir `{root}/public` overlap: the master copies and the ledger are not for the web, and two outputs would share a path; use separate folders, e.g. \"out/newsletter\" and \"public\"\n",
        ),
        (
            ("subscribe_path = \"abonnement/\"", "subscribe_path = \"./newsletter/\""),
            "error: in the configuration feed.toml\n  caused by: 1 problem found:\nfeed.toml:12: site.subscribe_path: `newsletter/` is where matinale writes other files; choose another folder, e.g. \"abonnement/\"\n",
        ),
        (
            ("subscribe_path = \"abonnement/\"", "subscribe_path = \"javascript:alert(1)/\""),
            "error: in the configuration feed.toml\n  caused by: 1 problem found:\nfeed.toml:12: site.subscribe_path: `javascript:alert(1)/` must be a relative folder inside the output folder, made of plain path segments, e.g. \"abonnement/\"\n",
        ),
        (
            ("subscribe_path = \"abonnement/\"", "subscribe_path = \"http:/evil.example/x/\""),
            "error: in the configuration feed.toml\n  caused by: 1 problem found:\nfeed.toml:12: site.subscribe_path: `http:/evil.example/x/` must be a relative folder inside the output folder, made of plain path segments, e.g. \"abonnement/\"\n",
        ),
    ];
    for ((from, to), expected) in cases {
        let site = Site::sample();
        site.edit("feed.toml", from, to);
        let root = site.dir.path().canonicalize().unwrap();
        let run = site.run_now(&["check"]);
        assert_eq!(run.code, 1, "{to}: {}", run.stderr);
        assert_eq!(
            run.stderr,
            expected.replace("{root}", &root.display().to_string()),
            "{to}"
        );
        let run = site.run_now(&["build"]);
        assert_eq!(run.code, 1, "{to}");
        assert!(!site.path("public").exists(), "{to}: nothing written");
    }
}

#[test]
fn output_folders_that_are_not_the_sites_own_are_refused() {
    for (dir, why) in [
        ("/", "is the file system's root"),
        ("/etc", "is a system folder"),
        ("/etc/matinale", "is a system folder"),
        ("..", "holds the site's own folder"),
        (".", "is the site's own folder, where feed.toml lives"),
        (
            "content",
            "overlaps [content] path, where the articles are read",
        ),
        (".matinale/out", "is inside .matinale/, matinale's state"),
    ] {
        let site = Site::sample();
        site.edit(
            "feed.toml",
            "output_dir = \"public\"",
            format!("output_dir = \"{dir}\""),
        );
        let run = site.run_now(&["check"]);
        assert_eq!(run.code, 1, "{dir}: {}", run.stderr);
        assert!(
            run.stderr.contains("feed.toml:21: feeds.output_dir: `")
                && run.stderr.contains(&format!(
                    "` {why}; choose a folder of its own, e.g. \"public\""
                )),
            "{dir}: {}",
            run.stderr
        );
    }
}

/// Runs `matinale ARGS` in `site`, killed (and the test failed) if it
/// takes more than a minute: a hang is the defect under test.
fn run_bounded(site: &Site, args: &[&str]) -> std::process::Output {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_matinale"))
        .args(["--now", crate::harness::SAMPLE_NOW])
        .args(args)
        .current_dir(site.dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("matinale {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn a_named_pipe_or_a_link_loop_in_the_content_folder_is_skipped() {
    let site = Site::sample();
    let status = std::process::Command::new("mkfifo")
        .arg(site.path("content/pipe.md"))
        .status()
        .unwrap();
    assert!(status.success());
    symlink(".", site.path("content/loop")).unwrap();
    symlink("nowhere.md", site.path("content/broken.md")).unwrap();
    let out = run_bounded(&site, &["build"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        stderr,
        "warning: content/broken.md: not a regular file (a named pipe, socket, device or broken link): skipped\n\
         warning: content/pipe.md: not a regular file (a named pipe, socket, device or broken link): skipped\n"
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("read 12 articles from content"));
}

#[test]
fn a_source_that_suddenly_yields_far_fewer_articles_stops_the_build() {
    let site = Site::sample();
    site.ok(&["build"]);
    let before = site.contents("public");
    for f in site.files("content") {
        std::fs::remove_file(site.path("content").join(f)).unwrap();
    }
    let run = site.run_now(&["build"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error: content holds 0 published articles where the last build read 12; the live feeds \
         are kept\n  hint: a failed export or an emptied folder? Fix the source; if the drop is \
         deliberate, run again with --allow-shrink\n"
    );
    assert_eq!(site.contents("public"), before, "the live feeds are kept");
    let run = site.run_now(&["feeds"]);
    assert_eq!(run.code, 1);
    let run = site.run_now(&["feeds", "--allow-shrink"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!site.path("public/category/tech").exists());
}

#[test]
fn a_smaller_max_items_or_a_first_build_is_not_a_shrink() {
    let site = Site::sample();
    // A first build of a tiny site.
    for f in site.files("content").into_iter().skip(1) {
        std::fs::remove_file(site.path("content").join(f)).unwrap();
    }
    site.ok(&["feeds"]);
    let site = Site::sample();
    site.ok(&["feeds"]);
    site.edit("feed.toml", "max_items = 50", "max_items = 2");
    site.ok(&["feeds"]);
    // Half the articles is still a build.
    for f in site.files("content").into_iter().take(6) {
        std::fs::remove_file(site.path("content").join(f)).unwrap();
    }
    site.ok(&["feeds"]);
}

#[test]
fn an_output_folder_in_shared_memory_is_accepted() {
    if !Path::new("/dev/shm").is_dir() {
        return;
    }
    let site = Site::sample();
    let dir = format!("/dev/shm/matinale-test-{}", std::process::id());
    site.edit(
        "feed.toml",
        "output_dir = \"public\"",
        format!("output_dir = \"{dir}\""),
    );
    let run = site.run_now(&["check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("ok: feed.toml"), "{}", run.stdout);
    assert!(!Path::new(&dir).exists(), "check writes nothing");
}
