//! What the data dir needs of the running provmock. `persist` sits below `app` (the App holds the data dir), so it
//! reaches the configuration, the clock, the fixtures and the locked state through this trait, which the App
//! implements.

use std::sync::MutexGuard;

use crate::clock::Clock;
use crate::config::Config;
use crate::world::state::State;
use crate::world::{Document, DocumentError};

pub trait Host: Send + Sync {
    fn config(&self) -> &Config;
    fn clock(&self) -> &Clock;
    /// The document the world was seeded from.
    fn fixtures(&self) -> &Document;
    /// The state, locked.
    fn lock(&self) -> MutexGuard<'_, State>;
    /// Replaces the world and the operations with a document (what restoring a snapshot does).
    fn replace_state(&self, doc: &Document) -> Result<(), DocumentError>;
}
