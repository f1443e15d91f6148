//! How the list index comes to be: built on a background thread at start (and after a change
//! too large to apply), every order after it, and an order missing when a list asks for it;
//! each build reads one snapshot on its own connection and catches up with the changes the
//! writer applied meanwhile before it is installed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Weak;

use rusqlite::{Connection, OpenFlags};

use crate::domain::query::SortKey;
use crate::error::Result;

use super::facets::Facets;
use super::order::{Order, OrderSpec};
use super::words::Words;
use super::{apply, Held, Index, Listing, State, MAX_OTHER_ORDERS};

/// The orders built after the index, in the background: every single column a list sorts by
/// (about 2.4 MB each at a million contacts; an order built on first use would take a second or
/// two there). A list sorted by several columns or a custom field is sorted by SQL.
const EAGER_ORDERS: [SortKey; 20] = [
    SortKey::UpdatedOn,
    SortKey::CreatedOn,
    SortKey::Name,
    SortKey::FirstName,
    SortKey::LastName,
    SortKey::Company,
    SortKey::JobTitle,
    SortKey::Emails,
    SortKey::Phones,
    SortKey::City,
    SortKey::Country,
    SortKey::AssignedTo,
    SortKey::Author,
    SortKey::MiddleName,
    SortKey::Website,
    SortKey::Street1,
    SortKey::Street2,
    SortKey::Region,
    SortKey::Postcode,
    SortKey::Address,
];

impl Listing {
    /// Builds the index on a background thread (at start, and after a change too large to
    /// apply).
    pub fn build_all(&self) {
        if !self.enabled {
            return;
        }
        {
            let mut state = self.write();
            if state.full_build_running {
                return;
            }
            state.full_build_running = true;
        }
        let me = self.me.clone();
        self.spawn("list-index", move || {
            crate::store::census::yield_to_requests();
            let started = std::time::Instant::now();
            let outcome = build_with(
                &me,
                |conn, bucket| {
                    let facets = Facets::read_all(conn)?;
                    let words = Words::read_all(conn)?;
                    let order = Order::build(conn, OrderSpec::default_order(), bucket)?;
                    let orders = vec![Held { order, used: AtomicU64::new(0), config_version: 0 }];
                    Ok(Index { facets, words, orders })
                },
                |state, conn, mut index, caught_up| {
                    apply(&mut index, conn, caught_up, state.seq)?;
                    state.index = Some(index);
                    Ok(())
                },
            );
            if let Some(listing) = me.upgrade() {
                listing.write().full_build_running = false;
                match outcome {
                    Ok(()) => {
                        let (facets, words) =
                            listing.read().index.as_ref().map_or((0, 0), |i| (i.facets.bytes(), i.words.bytes()));
                        tracing::info!(
                            "list index built in {} ms ({:.1} MB: sets {:.1} MB, characters {:.1} MB, default order)",
                            started.elapsed().as_millis(),
                            listing.bytes() as f64 / 1e6,
                            facets as f64 / 1e6,
                            words as f64 / 1e6
                        );
                        release_freed_memory();
                        for key in EAGER_ORDERS {
                            if listing.claim_order(&[key]) {
                                listing.build_order_now(vec![key]);
                            }
                        }
                        tracing::info!(
                            "list orders built in {} ms ({:.1} MB in all)",
                            started.elapsed().as_millis(),
                            listing.bytes() as f64 / 1e6
                        );
                    }
                    Err(e) => tracing::warn!("the list index was not built ({e}); lists are answered by SQL"),
                }
            }
        });
    }

    /// Notes that an order is being built; false when it already is.
    pub(super) fn claim_order(&self, keys: &[SortKey]) -> bool {
        let mut state = self.write();
        if state.orders_building.iter().any(|k| k == keys) {
            return false;
        }
        state.orders_building.push(keys.to_vec());
        true
    }

    /// Builds a claimed order on this thread and installs it.
    pub(super) fn build_order_now(&self, keys: Vec<SortKey>) {
        let spec = OrderSpec(keys.clone());
        let config_version = self.config_version();
        let outcome = build_with(
            &self.me,
            |conn, bucket| Order::build(conn, spec.clone(), bucket),
            |state, conn, mut order, caught_up| {
                sync_order(&mut order, conn, caught_up)?;
                let Some(index) = state.index.as_mut() else { return Ok(()) };
                index.orders.retain(|h| h.order.spec != order.spec);
                let used = AtomicU64::new(self.uses.load(Ordering::Relaxed));
                index.orders.push(Held { order, used, config_version });
                if index.orders.len() > 1 + MAX_OTHER_ORDERS {
                    let oldest = (1..index.orders.len()).min_by_key(|i| index.orders[*i].used.load(Ordering::Relaxed));
                    if let Some(oldest) = oldest {
                        index.orders.remove(oldest);
                    }
                }
                Ok(())
            },
        );
        self.write().orders_building.retain(|k| *k != keys);
        release_freed_memory();
        if let Err(e) = outcome {
            tracing::warn!("a list order was not built ({e}); lists in it are answered by SQL");
        }
    }
}

/// Gives freed memory back to the system: after a build (which allocates and frees tens of
/// megabytes of keys and ids, which the allocator would otherwise keep), and every few
/// seconds in the server (`main.rs`).
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory of the allocator's arenas to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Places the contacts `ids` in `order` as they are now (takes out those deleted).
fn sync_order(order: &mut Order, conn: &Connection, ids: &[i64]) -> Result<()> {
    let mut keys = order.keys_of(conn, ids)?;
    for id in ids.iter().filter_map(|id| u32::try_from(*id).ok()) {
        order.sync(conn, id, keys.remove(&id))?;
    }
    Ok(())
}

/// Runs a build on its own read connection: registers it (so changes are logged for it), builds
/// from one read transaction, then installs the result under the lock after catching up with
/// the changes applied meanwhile (the contacts they name, as they are now). Tries again when
/// the log could not keep every change since it began.
fn build_with<T>(
    me: &Weak<Listing>,
    build: impl Fn(&Connection, usize) -> Result<T>,
    install: impl Fn(&mut State, &Connection, T, &[i64]) -> Result<()>,
) -> Result<()> {
    for attempt in 0..5u32 {
        let Some(listing) = me.upgrade() else { return Ok(()) };
        let began = {
            let mut state = listing.write();
            state.builds += 1;
            state.seq
        };
        let outcome = (|| -> Result<bool> {
            let conn = listing.file.open(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
            conn.busy_timeout(std::time::Duration::from_secs(5))?;
            conn.execute_batch("BEGIN")?;
            let built = build(&conn, listing.bucket);
            conn.execute_batch("COMMIT")?;
            let built = built?;
            let mut state = listing.write();
            if state.dropped_through > began {
                return Ok(false);
            }
            let caught_up: Vec<i64> =
                state.log.iter().filter(|(seq, _)| *seq > began).map(|(_, id)| i64::from(*id)).collect();
            let mut caught_up = caught_up;
            caught_up.sort_unstable();
            caught_up.dedup();
            install(&mut state, &conn, built, &caught_up)?;
            Ok(true)
        })();
        {
            let mut state = listing.write();
            state.builds -= 1;
            if state.builds == 0 {
                state.log.clear();
            }
        }
        if outcome? {
            return Ok(());
        }
        drop(listing);
        std::thread::sleep(std::time::Duration::from_millis(100) * (attempt + 1));
    }
    Err(crate::error::Error::Internal("writes kept changing more contacts than the log holds".into()))
}
