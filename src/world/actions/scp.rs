//! SCP's `CreateAccount` job: the account is PENDING while the job runs, ACTIVE when it finishes, CREATE_FAILED when
//! it fails (a test said so).

use chrono::{DateTime, Utc};

use crate::world::World;
use crate::world::scp::{Account, AccountState};

/// Sets the account's state, stamped `now` (nothing when the account is gone).
pub fn set_state(w: &mut World, account_id: &str, state: AccountState, now: DateTime<Utc>) {
    if let Some(a) = w.scp.accounts.get(account_id).cloned() {
        w.scp.put_account(Account {
            state,
            modified_at: now,
            ..a
        });
    }
}
