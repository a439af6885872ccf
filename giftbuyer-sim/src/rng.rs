//! SplitMix64, the simulator's small seedable pseudo-random generator, and keyed draws from it.

/// The golden-ratio increment SplitMix64 adds to its state before every output.
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// Sebastiano Vigna's SplitMix64: a 64-bit state, one addition and a bijective finalizer.
///
/// It is small, fast and statistically good enough for jitter and coin flips, and unlike an
/// external crate its output can never change under us, which keeps every simulation
/// reproducible from its seed across versions.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// A generator for one purpose, derived from a seed and a list of keys (a tag, an account
    /// id, a call number...).
    ///
    /// The simulator draws every random value this way instead of from one shared stream, so a
    /// value depends only on what it is for and not on how many other values were drawn before
    /// it. Two runs with the same seed therefore agree even if unrelated calls interleave
    /// differently.
    pub fn keyed(seed: u64, keys: &[u64]) -> Self {
        let mut state = mix(seed);
        for &key in keys {
            state = mix(state.wrapping_add(GAMMA) ^ key);
        }
        Self::new(state)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GAMMA);
        mix(self.state)
    }

    /// A uniform value in `0..bound`, or 0 when `bound` is 0.
    ///
    /// It takes the high half of a 128-bit product (Lemire's method without the rejection
    /// step); the bias is below `bound / 2^64`, far under anything a simulation can notice.
    pub fn below(&mut self, bound: u64) -> u64 {
        let wide = u128::from(self.next_u64()) * u128::from(bound);
        u64::try_from(wide >> 64).unwrap_or(0)
    }

    /// A uniform value in `[0, 1)` with 53 bits of precision.
    pub fn next_f64(&mut self) -> f64 {
        const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
        (self.next_u64() >> 11) as f64 * SCALE
    }
}

/// SplitMix64's finalizer: a bijection on `u64` that spreads every input bit over the output.
pub(crate) const fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Reinterprets a signed id as the bits a keyed draw takes.
pub(crate) const fn key(value: i64) -> u64 {
    value as u64
}

/// The bits a keyed draw takes for a text: its 64-bit FNV-1a hash.
pub(crate) fn key_str(text: &str) -> u64 {
    text.bytes().fold(0xCBF2_9CE4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_sequence() {
        // The first outputs of the reference implementation seeded with 0.
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(rng.next_u64(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn keyed_draws_depend_on_every_key_and_only_on_them() {
        let draw = |keys: &[u64]| SplitMix64::keyed(7, keys).next_u64();
        assert_eq!(draw(&[1, 2]), draw(&[1, 2]));
        assert_ne!(draw(&[1, 2]), draw(&[2, 1]));
        assert_ne!(draw(&[1]), draw(&[1, 0]));
        assert_ne!(
            SplitMix64::keyed(7, &[1]).next_u64(),
            SplitMix64::keyed(8, &[1]).next_u64()
        );
    }

    #[test]
    fn bounded_draws_stay_in_range() {
        let mut rng = SplitMix64::new(42);
        for bound in [0, 1, 2, 7, 1000, u64::MAX] {
            for _ in 0..100 {
                let value = rng.below(bound);
                assert!(bound == 0 && value == 0 || value < bound, "{value} {bound}");
            }
        }
        for _ in 0..1000 {
            let value = rng.next_f64();
            assert!((0.0..1.0).contains(&value));
        }
    }
}
