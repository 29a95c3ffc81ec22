//! Id generation. One RNG for the whole world, used only under the state lock: with `--seed N` the same requests
//! in the same order produce the same ids, page tokens and operation names.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const MIXED_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &[u8] = b"0123456789abcdef";

#[derive(Debug, Clone)]
pub struct Ids {
    rng: ChaCha8Rng,
    /// The seed in use (drawn at random without `--seed`), so a data dir can resume the same sequence.
    seed: u64,
}

impl Ids {
    pub fn new(seed: Option<u64>) -> Self {
        let seed = seed.unwrap_or_else(|| ChaCha8Rng::from_os_rng().random());
        Ids {
            rng: ChaCha8Rng::seed_from_u64(seed),
            seed,
        }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// How far the sequence has advanced (to resume it exactly).
    pub fn position(&self) -> u128 {
        self.rng.get_word_pos()
    }

    /// The sequence of `seed`, advanced to `position`.
    pub fn resume(seed: u64, position: u128) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_word_pos(position);
        Ids { rng, seed }
    }

    fn pick(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| alphabet[self.rng.random_range(0..alphabet.len())] as char)
            .collect()
    }

    /// Lowercase letters and digits (SCP account ids, Yandex ids).
    pub fn lower_alnum(&mut self, n: usize) -> String {
        self.pick(LOWER_ALNUM, n)
    }
    pub fn upper_alnum(&mut self, n: usize) -> String {
        self.pick(UPPER_ALNUM, n)
    }
    pub fn mixed_alnum(&mut self, n: usize) -> String {
        self.pick(MIXED_ALNUM, n)
    }
    pub fn hex(&mut self, n: usize) -> String {
        self.pick(HEX, n)
    }

    /// A Cloud Identity customer id: `C0` and 7 upper-case letters or digits.
    pub fn cloud_identity_id(&mut self) -> String {
        format!("C0{}", self.upper_alnum(7))
    }

    /// A UUID v4 from our RNG (deterministic under `--seed`).
    pub fn uuid(&mut self) -> String {
        let bytes: [u8; 16] = self.rng.random();
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    }

    /// A float in [0, 1), for probabilistic fault rules.
    pub fn unit(&mut self) -> f64 {
        self.rng.random()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_ids() {
        let mut a = Ids::new(Some(7));
        let mut b = Ids::new(Some(7));
        assert_eq!(a.cloud_identity_id(), b.cloud_identity_id());
        assert_eq!(a.uuid(), b.uuid());
        let id = a.cloud_identity_id();
        assert!(id.starts_with("C0") && id.len() == 9, "{id}");
    }
}
