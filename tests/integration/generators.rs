//! Sites written for other static-site generators: Hugo's layout (sections,
//! a page bundle, `_index.md` list pages, YAML and TOML front matter) and
//! Jekyll's (`_posts/YYYY-MM-DD-slug.md`, YAML front matter), each with a
//! `[content] permalink`.

use crate::harness::Site;

/// Each JSON Feed item of the site's feed, as
/// `url | title | summary | published | tags | authors | image`.
fn items(site: &Site) -> Vec<String> {
    let feed: serde_json::Value = serde_json::from_str(&site.read("public/feed.json")).unwrap();
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::Null => "-".to_owned(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => a
            .iter()
            .map(|x| x.get("name").unwrap_or(x).as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    };
    feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            [
                "url",
                "title",
                "summary",
                "date_published",
                "tags",
                "authors",
                "image",
            ]
            .map(|k| text(&i[k]))
            .join(" | ")
        })
        .collect()
}

#[test]
fn a_hugo_site_builds_with_urls_from_its_permalink() {
    let site = Site::fixture("hugo");
    let run = site.ok(&["build"]);
    assert_eq!(run.stderr, "");
    assert!(
        run.stdout.starts_with(
            "read 4 articles from content (1 draft, 0 scheduled after 2026-11-26 07:30 +01:00)\n"
        ),
        "{}",
        run.stdout
    );
    assert_eq!(
        items(&site),
        [
            // `url` given, as a path from the site's root.
            "https://velo.example/speciale/tour-2027/ | Le parcours du Tour 2027 dévoilé | \
             Trois étapes de montagne et un contre-la-montre final. | 2026-11-25T11:30:00+01:00 | \
             Course | - | -",
            // `images`, `authors`, `description`, categories then tags;
            // `layout`, `weight`, `toc`, `params` ignored.
            "https://velo.example/posts/2026/11/velo-cargo/ | Le vélo cargo s'installe dans les familles | \
             Un foyer sur dix en ville envisage un vélo cargo pour remplacer sa deuxième voiture. | \
             2026-11-25T08:15:00+01:00 | Mobilité, cargo, famille | Camille Roux | \
             https://velo.example/images/cargo.jpg",
            // `slug`, and a bare date read in the site's time zone.
            "https://velo.example/posts/2026/11/carte-travaux-pistes/ | Pistes cyclables : la carte des travaux | \
             Douze chantiers d'ici au printemps. | 2026-11-25T00:00:00+01:00 | - | - | -",
            // A page bundle's index.md, in TOML with Hugo's names.
            "https://velo.example/posts/2026/11/pneus-hiver/ | Quels pneus pour rouler l'hiver ? | \
             Clous, gomme tendre ou pneus toutes saisons : ce qui tient sur le verglas. | \
             2026-11-24T07:00:00+01:00 | Équipement, hiver | - | -",
        ]
    );
    assert!(!site.read("public/feed.xml").contains("Pas encore prêt"));
    // `lastmod` is the update time.
    let feed: serde_json::Value = serde_json::from_str(&site.read("public/feed.json")).unwrap();
    assert_eq!(
        feed["items"][1]["date_modified"],
        "2026-11-25T18:00:00+01:00"
    );
}

#[test]
fn a_jekyll_site_builds_with_dates_and_slugs_from_its_file_names() {
    let site = Site::fixture("jekyll");
    let run = site.ok(&["build"]);
    assert_eq!(run.stderr, "");
    assert!(
        run.stdout.starts_with(
            "read 3 articles from _posts (1 draft, 0 scheduled after 2026-11-26 07:30 +01:00)\n"
        ),
        "{}",
        run.stdout
    );
    assert_eq!(
        items(&site),
        [
            // No summary: the body's first paragraph.
            "https://gazette.example/2026/11/25/sans-resume.html | Les Lumières reviennent le 8 décembre | \
             La Fête des Lumières revient pour quatre nuits. | 2026-11-25T16:45:00+01:00 | - | - | -",
            // No date: the file name's, in the site's time zone; a
            // category as one string; an author table with a key
            // matinale does not use.
            "https://gazette.example/2026/11/25/travaux-tram.html | Travaux du tram T10 : ce qui change | \
             Trois arrêts fermés jusqu'en janvier. | 2026-11-25T00:00:00+01:00 | Transports | Paul Girard | -",
            // Jekyll's date form, `excerpt`, jekyll-seo-tag's image table.
            "https://gazette.example/2026/11/24/marche-de-noel.html | Le marché de Noël ouvre place Carnot | \
             Cent vingt chalets jusqu'au 24 décembre. | 2026-11-24T09:30:00+01:00 | Ville, fêtes, commerces | \
             Jeanne Martin | https://gazette.example/assets/noel.jpg",
        ]
    );
    // `published: false` is a draft.
    assert!(!site
        .read("public/feed.xml")
        .contains("Article en préparation"));
    let atom = site.read("public/atom.xml");
    assert!(
        atom.contains("<updated>2026-11-25T18:00:00+01:00</updated>"),
        "{atom}"
    );
}

#[test]
fn yaml_front_matter_without_permalink_says_how_to_get_a_url() {
    let site = Site::fixture("jekyll");
    site.edit(
        "feed.toml",
        "permalink = \"/{year}/{month}/{day}/{slug}.html\"\n",
        "",
    );
    let run = site.run_now(&["check"]);
    assert_eq!(run.code, 1);
    let want = "url: missing; give the article page's URL, or set [content] permalink in feed.toml \
                to make one from each article's date and file name, e.g. \"/{year}/{month}/{day}/{slug}/\"";
    assert_eq!(
        run.stderr,
        format!(
            "error: 3 problems found:\n\
             _posts/2026-11-24-marche-de-noel.md:1: {want}\n\
             _posts/2026-11-25-sans-resume.md:1: {want}\n\
             _posts/2026-11-25-travaux-tram.md:1: {want}\n"
        )
    );
}

#[test]
fn a_bad_permalink_is_a_configuration_problem_with_its_line() {
    let site = Site::fixture("hugo");
    site.edit(
        "feed.toml",
        "/{section}/{year}/{month}/{slug}/",
        "/{section}/{titre}/",
    );
    let run = site.run_now(&["check"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: in the configuration feed.toml\n  caused by: 1 problem found:\n\
         feed.toml:13: content.permalink: `/{section}/{titre}/`: unknown placeholder `{titre}`; \
         the placeholders are `{year}`, `{month}`, `{day}`, `{slug}`, `{section}`\n"
    );
}
