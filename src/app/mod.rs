//! The shared application handle: configuration, the clock, and the one lock over the world and its operations.
//!
//! Why one `std::sync::Mutex` over everything: invariants span stores (a Customer and the Cloud Identity it links
//! to, an operation and the resource it creates), and every critical section is short, synchronous and free of I/O,
//! so a single lock keeps them all consistent without ever being held across an `.await`.

pub mod completer;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use tokio::sync::Notify;

use crate::clock::Clock;
use crate::config::Config;

use crate::observe::{events::Events, faults::Faults, journal::Journal};
use crate::world::ops::{Ops, Policy};
use crate::world::state::{Saved, State};
use crate::world::{ClockSetting, Document, DocumentError, World, ids::Ids};

/// Ports and TLS material known once the listeners are bound.
#[derive(Debug, Clone, Default)]
pub struct Listening {
    pub plain_port: u16,
    pub tls_port: Option<u16>,
    pub ca_pem: Option<String>,
}

#[derive(Debug)]
pub struct Inner {
    pub config: Config,
    pub clock: Clock,
    /// The document the world was seeded from (what `/_mock/reset` goes back to).
    pub fixtures: Document,
    state: Mutex<State>,
    /// Wakes the operation completer when an operation is scheduled.
    pub wake: Notify,
    pub listening: OnceLock<Listening>,
    /// Fault rules; their own lock, so a slow rule never holds the world. Reached through `with_faults`.
    faults: Mutex<Faults>,
    /// Whether any fault rule exists, read by every request without taking the rules' lock.
    faults_exist: AtomicBool,
    /// Recorded API requests (bounded by `--journal-size`).
    pub journal: Mutex<Journal>,
    /// The data dir, when `--data-dir` is given.
    pub persist: OnceLock<crate::persist::Persist>,
    /// Change notices for `GET /_mock/events`.
    pub events: Events,
}

/// Cheap to clone; every handler holds one.
#[derive(Debug, Clone)]
pub struct App(pub Arc<Inner>);

impl std::ops::Deref for App {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl App {
    pub fn new(config: Config, fixtures: Document) -> Result<App, DocumentError> {
        let world = World::from_document(&fixtures)?;
        let clock = Clock::default();
        apply_clock_setting(&clock, fixtures.clock.as_ref());
        let mut ops = Ops::new(Policy::from_delay(config.lro_delay));
        ops.keep_finished = config.operations_keep.max(1);
        let state = State {
            world,
            ops,
            ids: Ids::new(config.seed),
            replaced: None,
        };
        let faults = Mutex::new(Faults::new(config.seed));
        let journal = Mutex::new(Journal::new(config.journal_size));
        Ok(App(Arc::new(Inner {
            config,
            clock,
            fixtures,
            state: Mutex::new(state),
            wake: Notify::new(),
            listening: OnceLock::new(),
            faults,
            faults_exist: AtomicBool::new(false),
            journal,
            persist: OnceLock::new(),
            events: Default::default(),
        })))
    }
}

impl Inner {
    /// Locks the state. A panic while holding the lock does not poison provmock: the data is still consistent
    /// because every mutation checks before it writes.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Before a control call replaces whole parts of the world: with a data dir, keeps what was there, so the
    /// snapshot that records the replacement can be undone if it cannot be written.
    fn save_for_undo(&self, st: &mut State) {
        if self.persist.get().is_some() && st.replaced.is_none() {
            st.replaced = Some(Box::new(Saved {
                world: st.world.clone(),
                ops: st.ops.clone(),
                ids: st.ids.clone(),
            }));
        }
    }

    /// Back to the fixtures: world, operations and ids; policies are kept.
    pub fn reset(&self) -> Result<(), DocumentError> {
        let world = World::from_document(&self.fixtures)?;
        let mut st = self.lock();
        self.save_for_undo(&mut st);
        st.world = world;
        st.ops.clear();
        st.ids = Ids::new(self.config.seed);
        drop(st);
        apply_clock_setting(&self.clock, self.fixtures.clock.as_ref());
        self.wake.notify_one();
        Ok(())
    }

    /// Replaces the world and the operations with a validated document (`PUT /_mock/state`). Secret keys are
    /// never exported, so an SCP access key that comes back without one keeps the secret provmock has for it.
    pub fn replace_state(&self, doc: &Document) -> Result<(), DocumentError> {
        let mut world = World::from_document(doc)?;
        let fixtures = World::from_document(&self.fixtures).unwrap_or_default();
        let mut names = std::collections::BTreeSet::new();
        for (i, op) in doc.operations.iter().enumerate() {
            if !names.insert(op.name.as_str()) {
                return Err(DocumentError {
                    path: format!("operations[{i}].name"),
                    problem: format!("duplicate operation `{}`", op.name),
                });
            }
        }
        let mut st = self.lock();
        world.scp.fill_secret_keys(|k| {
            st.world
                .scp
                .access_keys
                .get(k)
                .or_else(|| fixtures.scp.access_keys.get(k))
                .and_then(|c| c.secret_key.clone())
        });
        self.save_for_undo(&mut st);
        st.world = world;
        st.ops.clear();
        for op in &doc.operations {
            st.ops.restore(op.clone());
        }
        drop(st);
        self.wake.notify_one();
        Ok(())
    }

    /// Resets one family to the fixtures (the two Google families share one directory, so either resets both)
    /// and drops that family's operations.
    pub fn reset_family(&self, family: crate::family::Family) -> Result<(), DocumentError> {
        use crate::family::Family as F;
        let fresh = World::from_document(&self.fixtures)?;
        let families: &[F] = match family {
            F::Channel | F::CloudIdentity => &[F::Channel, F::CloudIdentity],
            F::Scp => &[F::Scp],
            F::Yandex => &[F::Yandex],
            F::Mock => &[],
        };
        let mut st = self.lock();
        self.save_for_undo(&mut st);
        match family {
            F::Channel | F::CloudIdentity => st.world.google = fresh.google,
            F::Scp => st.world.scp = fresh.scp,
            F::Yandex => st.world.yandex = fresh.yandex,
            F::Mock => {}
        }
        let doomed: Vec<String> = st
            .ops
            .ops
            .values()
            .filter(|o| families.contains(&o.family))
            .map(|o| o.name.clone())
            .collect();
        for name in doomed {
            st.ops.remove(&name);
        }
        Ok(())
    }

    /// Reads or edits the fault rules under their lock (and keeps `faults_active` true to the list).
    pub fn with_faults<R>(&self, f: impl FnOnce(&mut Faults) -> R) -> R {
        let mut rules = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        let out = f(&mut rules);
        self.faults_exist
            .store(!rules.list().is_empty(), Ordering::Release);
        out
    }

    /// True when at least one fault rule exists (spent ones included): only then is a request matched against them.
    pub fn faults_active(&self) -> bool {
        self.faults_exist.load(Ordering::Acquire)
    }

    pub fn listening(&self) -> Listening {
        self.listening.get().cloned().unwrap_or_default()
    }
}

impl crate::persist::host::Host for Inner {
    fn config(&self) -> &Config {
        &self.config
    }
    fn clock(&self) -> &Clock {
        &self.clock
    }
    fn fixtures(&self) -> &Document {
        &self.fixtures
    }
    fn lock(&self) -> MutexGuard<'_, State> {
        Inner::lock(self)
    }
    fn replace_state(&self, doc: &Document) -> Result<(), DocumentError> {
        Inner::replace_state(self, doc)
    }
}

fn apply_clock_setting(clock: &Clock, setting: Option<&ClockSetting>) {
    match setting {
        Some(ClockSetting {
            start,
            frozen: true,
        }) => clock.set(*start),
        Some(ClockSetting {
            start,
            frozen: false,
        }) => clock.start_at(*start),
        None => clock.reset(),
    }
}
