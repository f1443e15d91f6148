//! Tuning: the thresholds of the contact list's planner (`store::contacts`) a store is opened
//! with. The defaults are the shipped values; tests open a store with smaller ones, so that
//! their few hundred contacts take the ways a large file takes, through the same code.

/// Thresholds of the contact list's planner. `Default` gives the values the server ships with
/// (measured at a million contacts); `Store::open` opens with them, `Store::open_tuned` with
/// others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tuning {
    /// Searches matched by at most this many contacts have their matches remembered as an id
    /// list (at most 160 kB) per data version, shared by the count and every page of the
    /// search. Default 20,000.
    pub max_remembered_matches: usize,
    /// SQLite virtual-machine steps a search walk may take (a few per row: some thousands of
    /// rows, a few milliseconds) before it gives way to the index. Default 20,000.
    pub scan_budget_ops: i32,
    /// Contacts per bucket of the list index's orders (`store::listing::order`): a page sorts
    /// about two buckets of rows. Default 256.
    pub list_bucket: usize,
    /// Whether the list index (`store::listing`) and the trigram census (`store::census`) are
    /// built in the background at open and then kept up. Default on; the one-shot commands
    /// (export, import, duplicates) read each list once, and building them (half a minute of
    /// CPU at a million contacts) would only take the CPU from them.
    pub background_indexes: bool,
}

impl Default for Tuning {
    fn default() -> Tuning {
        Tuning { max_remembered_matches: 20_000, scan_budget_ops: 20_000, list_bucket: 256, background_indexes: true }
    }
}
