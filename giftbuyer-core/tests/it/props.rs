//! Planner invariants, checked with proptest (filled in by the next commit).
