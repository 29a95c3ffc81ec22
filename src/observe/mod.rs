//! What provmock notices about itself, below the App handle that holds it: fault rules ([`faults`]), the request
//! journal ([`journal`]) and the change-notice broadcaster ([`events`]). The `/_mock/` handlers that steer and read
//! them are in `control`.

pub mod events;
pub mod faults;
pub mod journal;
