//! Cutting contacts in sort order into an order's buckets (see `order`).

use super::spec::{cmp_key, Key};

/// A bucket as cut from sorted entries, before its key is packed.
pub struct Cut {
    pub start: (Key, u32),
    pub pure: bool,
    pub size: u32,
}

/// Cuts entries coming in order into buckets: a run of equal keys at least a bucket long gets
/// a pure bucket of its own, however long (starting at id 0), shorter runs share mixed
/// buckets of about `bucket` (each starting at its first run, id 0). Holds the ids of the run
/// under way, and no key but its own.
pub struct Cutter {
    bucket: usize,
    buckets: Vec<Cut>,
    members: Vec<Vec<u32>>,
    run_key: Option<Key>,
    run: Vec<u32>,
    /// The run under way has reached a bucket's length: its ids go to its pure bucket.
    run_pure: bool,
    /// The last bucket is a mixed one that may take more runs.
    mixed_open: bool,
}

impl Cutter {
    pub fn new(bucket: usize) -> Cutter {
        Cutter {
            bucket,
            buckets: Vec::new(),
            members: Vec::new(),
            run_key: None,
            run: Vec::new(),
            run_pure: false,
            mixed_open: false,
        }
    }

    fn open(&mut self, start: (Key, u32), pure: bool) {
        self.buckets.push(Cut { start, pure, size: 0 });
        self.members.push(Vec::new());
    }

    fn add(&mut self, ids: &[u32]) {
        let last = self.buckets.len() - 1;
        self.buckets[last].size += ids.len() as u32;
        self.members[last].extend_from_slice(ids);
    }

    pub fn push(&mut self, key: Key, id: u32) {
        match &self.run_key {
            Some(run_key) if cmp_key(run_key, &key).is_eq() => {}
            Some(_) => {
                self.end_run();
                self.run_key = Some(key);
            }
            None => self.run_key = Some(key),
        }
        if self.run_pure {
            self.add(&[id]);
            return;
        }
        self.run.push(id);
        if self.run.len() >= self.bucket {
            let run_key = self.run_key.as_ref().expect("set above");
            self.open((run_key.clone(), 0), true);
            let run = std::mem::take(&mut self.run);
            self.add(&run);
            self.run_pure = true;
            self.mixed_open = false;
        }
    }

    fn end_run(&mut self) {
        if !self.run_pure && !self.run.is_empty() {
            if !self.mixed_open || self.members.last().is_some_and(|m| m.len() >= self.bucket) {
                let key = self.run_key.clone().expect("a run has a key");
                self.open((key, 0), false);
                self.mixed_open = true;
            }
            let run = std::mem::take(&mut self.run);
            self.add(&run);
        }
        self.run.clear();
        self.run_pure = false;
        self.run_key = None;
    }

    /// The buckets and their members; `first`: the start the first bucket keeps (a split
    /// bucket's own).
    pub fn finish(mut self, first: Option<(Key, u32)>) -> (Vec<Cut>, Vec<Vec<u32>>) {
        self.end_run();
        if let (Some(start), Some(bucket)) = (first, self.buckets.first_mut()) {
            bucket.start = start;
        }
        (self.buckets, self.members)
    }
}

pub fn cut(sorted: Vec<(Key, u32)>, first: Option<(Key, u32)>, bucket: usize) -> (Vec<Cut>, Vec<Vec<u32>>) {
    let mut cutter = Cutter::new(bucket);
    for (key, id) in sorted {
        cutter.push(key, id);
    }
    cutter.finish(first)
}
