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

    /// A Channel customer id: `S0` and 12 upper-case letters or digits. guess: the first 7 rise with every draw
    /// (the sequence's position in base 36, digits before letters so that byte order is numeric order) and the last
    /// 5 are random. Rising ids put every new customer at the end of the ordered store, where a random one costs a
    /// cache miss per key compared once a million customers are stored; and lists show customers in creation order.
    /// The position is part of the seeded sequence, so `--seed` and a data dir's replay draw the same ids.
    pub fn customer_id(&mut self) -> String {
        const ORDERED: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let mut n = self.rng.get_word_pos();
        let mut rising = [b'0'; 7];
        for digit in rising.iter_mut().rev() {
            *digit = ORDERED[(n % 36) as usize];
            n /= 36;
        }
        let rising: String = rising.iter().map(|b| *b as char).collect();
        format!("S0{rising}{}", self.upper_alnum(5))
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

    #[test]
    fn customer_ids_rise_in_byte_order_and_keep_their_shape() {
        let mut ids = Ids::new(Some(11));
        let drawn: Vec<String> = (0..5000)
            .map(|i| {
                if i % 7 == 0 {
                    ids.uuid(); // other draws in between still leave them rising
                }
                ids.customer_id()
            })
            .collect();
        assert!(
            drawn.windows(2).all(|w| w[0] < w[1]),
            "not rising: {:?}",
            &drawn[..3]
        );
        for id in &drawn {
            assert!(
                id.len() == 14
                    && id.starts_with("S0")
                    && id[2..]
                        .bytes()
                        .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()),
                "{id}"
            );
        }
        let mut again = Ids::new(Some(11));
        again.uuid();
        assert_eq!(again.customer_id(), drawn[0], "seeded: the same sequence");
    }
}
