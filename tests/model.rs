//! Choosing the embedding model (`--model DIR`, `KB_MODEL_DIR`, the folder an index recorded),
//! through the real `kb`, with word models the tests write (`kb_embed::testing`) in both
//! pooling modes, and the error for searching an index with a model other than its own.

use crate::util::Kb;

/// Word groups: each group is one direction of meaning.
const GROUPS: &[&[&str]] = &[
    &["car", "automobile", "vehicle"],
    &["repair", "fix", "mend"],
    &["soup", "pot", "broth", "stew", "onion", "salt", "kitchen"],
];

/// Other groups: "car" and "soup" mean the same here.
const OTHER_GROUPS: &[&[&str]] = &[&["car", "soup", "automobile", "stew"], &["repair"]];

/// A work dir with three notes (see tests/semantic.rs) and no model given by the harness.
fn workshop() -> Kb {
    crate::semantic::write_workshop(Kb::new())
}

/// The documents `kb search "automobile repair"` ranks, 70% by meaning unless `args` say
/// otherwise.
fn doc_ids(kb: &Kb, args: &[&str]) -> Vec<String> {
    let mut all = vec!["search", "--json", "automobile repair"];
    if !args.contains(&"--semantic") {
        all.extend(["--semantic", "0.7"]);
    }
    all.extend_from_slice(args);
    let out: crate::util::SearchOutput = kb.run(&all).expect_code(0).json();
    out.hits.into_iter().map(|h| h.doc_id).collect()
}

/// Runs `kb ARGS...` with `KB_MODEL_DIR` set to `model` (relative to the work dir).
fn run_with_env(kb: &Kb, model: &str, args: &[&str]) -> crate::util::Run {
    let out = kb.command().args(args).env("KB_MODEL_DIR", kb.path().join(model)).output();
    let out = out.expect("kb runs");
    crate::util::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn a_model_folder_given_with_model_ranks_by_meaning_in_both_pooling_modes() {
    for cls in [false, true] {
        let kb = workshop();
        let dir = kb.path().join("models/words");
        if cls {
            kb_embed::testing::write_word_model_cls(&dir, GROUPS).unwrap();
        } else {
            kb_embed::testing::write_word_model(&dir, GROUPS).unwrap();
        }
        kb.run(&["index", "--semantic", "--model", "models/words", "docs"]).expect_code(0);
        // Words alone put the kitchen note first; meaning puts the workshop note first. The
        // search is given no model: the index recorded its folder.
        assert_eq!(doc_ids(&kb, &["--semantic", "0"])[0], "kitchen", "cls {cls}");
        assert_eq!(doc_ids(&kb, &[]), ["workshop", "kitchen", "stew"], "cls {cls}");
        // Naming the same model explicitly is the same.
        assert_eq!(doc_ids(&kb, &["--model", "models/words"]), ["workshop", "kitchen", "stew"]);
        // kb run takes --model too.
        kb.write("queries.txt", "automobile repair\n");
        let run = kb.run(&["run", "--queries", "queries.txt", "--model", "models/words"]);
        let run = run.expect_code(0);
        let first = run.stdout.lines().next().expect("a run line");
        assert!(first.starts_with("1 Q0 workshop 1 "), "cls {cls}: {}", run.stdout);
    }
}

#[test]
fn searching_with_another_model_is_a_clear_error() {
    let kb = workshop();
    kb_embed::testing::write_word_model(&kb.path().join("models/a"), GROUPS).unwrap();
    kb_embed::testing::write_word_model(&kb.path().join("models/b"), OTHER_GROUPS).unwrap();
    kb.run(&["index", "--semantic", "--model", "models/a", "docs"]).expect_code(0);

    let err = kb.run(&["search", "automobile repair", "--model", "models/b"]).expect_code(2);
    for says in [
        "was embedded with the model a (6 dimensions, checksum",
        "not with b (4 dimensions",
        "--model",
        "--semantic 0",
        "kb index --semantic --model",
    ] {
        assert!(err.stderr.contains(says), "{says:?} in:\n{}", err.stderr);
    }
    assert!(err.stdout.is_empty(), "{}", err.stdout);
    // Named by KB_MODEL_DIR: the same error, naming the variable.
    let err = run_with_env(&kb, "models/b", &["search", "automobile repair"]).expect_code(2);
    assert!(err.stderr.contains("given by KB_MODEL_DIR"), "{}", err.stderr);
    // kb run and an update without --model refuse it too: a variable set for another index
    // does not re-embed this one.
    kb.write("queries.txt", "automobile repair\n");
    let err = run_with_env(&kb, "models/b", &["run", "--queries", "queries.txt"]).expect_code(2);
    assert!(err.stderr.contains("was embedded with the model a"), "{}", err.stderr);
    let err = run_with_env(&kb, "models/b", &["index", "docs"]).expect_code(2);
    assert!(err.stderr.contains("was embedded with the model a"), "{}", err.stderr);
    // Words alone need no model.
    let words = kb.run(&["search", "automobile repair", "--model", "models/b", "--semantic", "0"]);
    words.expect_code(0);

    // `kb index --model` switches the index to the other model: every passage re-embedded.
    kb.run(&["index", "--model", "models/b", "docs"]).expect_code(0);
    assert_eq!(doc_ids(&kb, &[]).len(), 3);
    let err = kb.run(&["search", "automobile repair", "--model", "models/a"]).expect_code(2);
    assert!(err.stderr.contains("was embedded with the model b"), "{}", err.stderr);
}

#[test]
fn a_model_folder_that_moved_away_is_asked_for() {
    let kb = workshop();
    kb_embed::testing::write_word_model(&kb.path().join("models/words"), GROUPS).unwrap();
    kb.run(&["index", "--semantic", "--model", "models/words", "docs"]).expect_code(0);
    std::fs::rename(kb.path().join("models/words"), kb.path().join("models/moved")).unwrap();
    let err = kb.run(&["search", "automobile repair"]).expect_code(2);
    assert!(err.stderr.contains("which is not there any more"), "{}", err.stderr);
    assert!(err.stderr.contains("--model DIR"), "{}", err.stderr);
    // Given where it went, the search works, and the index records the new place at its next
    // update.
    assert_eq!(doc_ids(&kb, &["--model", "models/moved"])[0], "workshop");
    kb.run(&["index", "--model", "models/moved", "docs"]).expect_code(0);
    assert_eq!(doc_ids(&kb, &[])[0], "workshop");
}

#[test]
fn a_model_folder_kb_cannot_run_is_named() {
    let kb = workshop();
    let dir = kb.path().join("models/dense");
    kb_embed::testing::write_word_model_cls(&dir, GROUPS).unwrap();
    let modules = std::fs::read_to_string(dir.join("modules.json")).unwrap();
    std::fs::write(dir.join("modules.json"), modules.replace("models.Normalize", "models.Dense"))
        .unwrap();
    let err = kb.run(&["index", "--semantic", "--model", "models/dense", "docs"]).expect_code(2);
    assert!(err.stderr.contains("modules.json"), "{}", err.stderr);
    assert!(err.stderr.contains("models.Dense"), "{}", err.stderr);
    // Nothing was indexed: there is no index yet.
    assert!(!kb.path().join(".kb").join("meta.json").exists());
    let err = kb.run(&["index", "--semantic", "--model", "models/none", "docs"]).expect_code(2);
    assert!(err.stderr.contains("--model names a directory without this file"), "{}", err.stderr);
}

#[test]
fn the_default_model_comes_from_kb_model_url_and_a_failed_download_is_clear() {
    // The harness points KB_MODEL_URL at a closed port on 127.0.0.1.
    let kb = workshop();
    let err = kb.run(&["index", "--semantic", "docs"]).expect_code(2);
    assert!(
        err.stderr.contains(
            "kb: downloading the embedding model all-MiniLM-L6-v2 (91 MB, once) from \
             http://127.0.0.1:9/no-model-in-tests into "
        ),
        "{}",
        err.stderr
    );
    assert!(
        err.stderr.contains("cannot get the embedding model all-MiniLM-L6-v2"),
        "{}",
        err.stderr
    );
    assert!(
        err.stderr.contains("http://127.0.0.1:9/no-model-in-tests/config.json"),
        "{}",
        err.stderr
    );
    // Nothing is left in the model cache.
    let models = kb.path().join("cache/kb/models");
    let left: Vec<_> = std::fs::read_dir(&models).map(|d| d.count()).into_iter().collect();
    assert!(left.is_empty() || left == [0], "{left:?}");
}

/// The ready files (`*.kbready`) in the model cache of the work dir (`XDG_CACHE_HOME` is
/// `cache/` there: see the harness).
fn ready_files(kb: &Kb, cache: &str) -> Vec<std::path::PathBuf> {
    let dir = kb.path().join(cache).join("kb/models/ready");
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "kbready"))
        .collect()
}

/// `doc_ids` with the model cache in `cache` (relative to the work dir).
fn doc_ids_with_cache(kb: &Kb, cache: &str) -> Result<Vec<String>, String> {
    let mut cmd = kb.command();
    cmd.args(["search", "--json", "automobile repair", "--semantic", "0.7"]);
    let out = cmd.env("XDG_CACHE_HOME", kb.path().join(cache)).output().expect("kb runs");
    let run = crate::util::Run::from_output(out);
    if run.code != 0 {
        return Err(run.stderr);
    }
    let out: crate::util::SearchOutput = run.json();
    Ok(out.hits.into_iter().map(|h| h.doc_id).collect())
}

#[test]
fn a_second_search_maps_the_ready_file_and_finds_the_same_passages() {
    let kb = workshop();
    let dir = kb.path().join("models/words");
    kb_embed::testing::write_word_model(&dir, GROUPS).unwrap();
    // Files of an hour ago, as a model downloaded earlier.
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for name in ["config.json", "vocab.txt", "model.safetensors"] {
        let file = std::fs::File::options().write(true).open(dir.join(name)).unwrap();
        file.set_modified(hour_ago).unwrap();
    }
    assert!(ready_files(&kb, "cache").is_empty());
    kb.run(&["index", "--semantic", "--model", "models/words", "docs"]).expect_code(0);
    // Indexing wrote the model's ready file into the model cache.
    let written = ready_files(&kb, "cache");
    assert_eq!(written.len(), 1, "{written:?}");
    let ranked = ["workshop", "kitchen", "stew"];
    // A cache without it: the model is read from its folder.
    assert_eq!(doc_ids_with_cache(&kb, "other-cache").unwrap(), ranked);
    assert_eq!(doc_ids_with_cache(&kb, "cache").unwrap(), ranked);

    // The weights overwritten with zeros of the same length, modification time and inode: a
    // search that read them would fail; one that maps the ready file finds the same passages.
    let weights = dir.join("model.safetensors");
    let len = std::fs::metadata(&weights).unwrap().len() as usize;
    let file = std::fs::File::options().write(true).open(&weights).unwrap();
    std::io::Write::write_all(&mut &file, &vec![0u8; len]).unwrap();
    file.set_modified(hour_ago).unwrap();
    drop(file);
    assert_eq!(doc_ids_with_cache(&kb, "cache").unwrap(), ranked);
    assert_eq!(ready_files(&kb, "cache"), written);
    let err = doc_ids_with_cache(&kb, "fresh-cache").unwrap_err();
    assert!(err.contains("model.safetensors"), "{err}");
}

#[test]
fn searching_with_the_folder_the_index_recorded_announces_no_download() {
    let kb = workshop();
    kb_embed::testing::write_word_model(&kb.path().join("models/words"), GROUPS).unwrap();
    kb.run(&["index", "--semantic", "--model", "models/words", "docs"]).expect_code(0);
    // No --model, no KB_MODEL_DIR, the default model not in the cache: the index's own folder
    // is used, and nothing is downloaded, so nothing is announced.
    for args in [&["search", "automobile repair"][..], &["index", "docs"]] {
        let run = kb.run(args).expect_code(0);
        assert!(!run.stderr.contains("downloading"), "{args:?}: {}", run.stderr);
    }
    assert_eq!(doc_ids(&kb, &[])[0], "workshop");
    // With the folder gone, the default model is no stand-in either: an error, no download.
    std::fs::rename(kb.path().join("models/words"), kb.path().join("models/moved")).unwrap();
    let err = kb.run(&["search", "automobile repair"]).expect_code(2);
    assert!(!err.stderr.contains("downloading"), "{}", err.stderr);
}
