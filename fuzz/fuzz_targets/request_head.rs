//! A request head, as any client may send it to `serve`: a request or a
//! status to answer, never a panic; a request's path stays inside the
//! served folder; a folder's redirect stays on this server, in bytes a
//! header may hold.
#![no_main]

use libfuzzer_sys::fuzz_target;
use matinale::serve::http::{parse_head, Response};
use matinale::serve::{folder_location, resolve};
use std::path::Component;

fuzz_target!(|data: &[u8]| {
    let Ok(request) = parse_head(data) else {
        return;
    };
    assert!(!request.method.is_empty() && request.method.is_ascii());
    let Ok(rel) = resolve(&request.target) else {
        return;
    };
    for c in rel.components() {
        let Component::Normal(name) = c else {
            panic!("{c:?} in {rel:?}");
        };
        assert!(!name.to_string_lossy().starts_with('.'), "{rel:?}");
    }
    let redirect = Response::redirect(&folder_location(&request.target));
    let location = &redirect.headers[0].1;
    assert!(
        location.bytes().all(|b| (b'!'..=b'~').contains(&b)),
        "{location:?}"
    );
    assert!(location.starts_with('/'), "{location:?}");
    assert!(!location[1..].starts_with(['/', '\\']), "{location:?}");
});
