//! The experiment queue (`notebooks/configs/run-all.sh`) as a user runs it with several
//! workers: a stand-in for the seqlab binary logs when each run starts and ends, so the test
//! checks the scheduling alone (no data, no model).

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// `(name, seed, start, end)` of every run the stand-in binary saw, from its log.
fn runs(log: &str) -> Vec<(String, String, f64, f64)> {
    let mut open: Vec<(String, String, f64)> = Vec::new();
    let mut done = Vec::new();
    for line in log.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (name, seed) = (f[1].to_string(), f[2].to_string());
        let t: f64 = f[3].parse().expect("a time stamp");
        if f[0] == "start" {
            open.push((name, seed, t));
        } else {
            let i = open
                .iter()
                .position(|(n, s, _)| *n == name && *s == seed)
                .expect("an end after its start");
            let (n, s, t0) = open.remove(i);
            done.push((n, s, t0, t));
        }
    }
    assert!(open.is_empty(), "runs that never ended: {open:?}");
    done
}

/// One queue worker: what `SEQLAB_WORKERS=2 run-all.sh` starts twice (`SEQLAB_WORKER` set:
/// no build, no fetch), here with the stand-in binary.
fn worker(w: &str, dir: &Path) -> Child {
    Command::new("bash")
        .arg(common::repo().join("notebooks/configs/run-all.sh"))
        .env("SEQLAB_WORKER", w)
        .env("SEQLAB_WORKERS", "2")
        .env("SEQLAB_RUNS", dir.join("runs"))
        .env("SEQLAB_QUEUE", dir.join("queue.txt"))
        .env("SEQLAB_BIN", dir.join("seqlab"))
        .env("SEQLAB_QUEUE_POLL", "1")
        .env_remove("SEQLAB_SNAPSHOT")
        .stdout(Stdio::null())
        .spawn()
        .expect("bash runs the queue script")
}

#[test]
fn two_workers_run_every_entry_side_by_side_but_never_one_run_folder_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let log = dir.join("log");
    // `seqlab run CONFIG --out RUNS/NAME --seeds SEED`: log, hold the folder 2 s, log.
    std::fs::write(
        dir.join("seqlab"),
        format!(
            "#!/usr/bin/env bash\nn=$(basename \"$4\")\n\
             echo \"start $n $6 $(date +%s.%N)\" >> '{0}'\nsleep 2\n\
             echo \"end $n $6 $(date +%s.%N)\" >> '{0}'\n",
            log.display()
        ),
    )
    .unwrap();
    let chmod = Command::new("chmod")
        .arg("+x")
        .arg(dir.join("seqlab"))
        .status();
    assert!(chmod.is_ok_and(|s| s.success()));
    // Two seeds of one config (one run folder) and one seed of another.
    std::fs::write(
        dir.join("queue.txt"),
        "lada-conll-5-base 1\nlada-conll-5-base 2\nlada-conll-5-intra 1\n",
    )
    .unwrap();
    let mut workers = [worker("1", dir), worker("2", dir)];
    for w in &mut workers {
        assert!(w.wait().unwrap().success(), "a worker failed");
    }
    let done = runs(&std::fs::read_to_string(&log).unwrap());
    // Every entry ran (a worker also runs the entries the other finished: seqlab returns at
    // once for a finished seed).
    let entries: BTreeSet<(&str, &str)> = done
        .iter()
        .map(|(n, s, _, _)| (n.as_str(), s.as_str()))
        .collect();
    let want: BTreeSet<(&str, &str)> = [
        ("lada-conll-5-base", "1"),
        ("lada-conll-5-base", "2"),
        ("lada-conll-5-intra", "1"),
    ]
    .into();
    assert_eq!(entries, want);
    // Never two runs of one folder at once; runs of different folders side by side.
    let overlap =
        |a: &(String, String, f64, f64), b: &(String, String, f64, f64)| a.2 < b.3 && b.2 < a.3;
    let mut side_by_side = false;
    for (i, a) in done.iter().enumerate() {
        for b in &done[i + 1..] {
            if overlap(a, b) {
                assert_ne!(
                    a.0, b.0,
                    "one run folder trained twice at once: {a:?} {b:?}"
                );
                side_by_side = true;
            }
        }
    }
    assert!(side_by_side, "the two workers never ran at once: {done:?}");
}
