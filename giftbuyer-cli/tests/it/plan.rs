//! Tests of `giftbuyer plan`.
