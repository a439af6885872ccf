//! Integration tests of the core: data-driven planner and report cases, and planner invariants.

mod auction_cases;
mod auction_props;
mod bidding_cases;
mod bidding_props;
mod execution_cases;
mod execution_props;
mod planner_cases;
mod props;
mod report_cases;
mod resale_cases;
mod resale_props;
mod support;
