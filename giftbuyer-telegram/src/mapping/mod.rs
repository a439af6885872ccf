//! Pure mapping between Telegram's TL objects (layer 230, as grammers generates them) and the
//! core's types: the catalog, the balance, the profile, purchases and channel rights. Nothing
//! here performs I/O, so every rule is tested from constructed TL objects.

mod auction;
mod balance;
mod catalog;
mod channel;
mod profile;
mod purchase;
mod resale;
mod user_peer;

pub use auction::{
    auction_answer, auction_state_request, bid_invoice, bidder_state, check_bid_form,
};
pub use balance::{stars_balance, stars_status_request};
pub use catalog::{catalog_gift, catalog_response, star_gifts_request, sticker_ref};
pub use channel::{
    channel_access, channel_title, full_channel_request, input_channel, input_peer_channel,
    self_participant_request, takes_star_gifts,
};
pub use profile::{profile, self_user_request};
pub use purchase::{
    check_payment_form, payment_form_price, payment_form_request, payment_result,
    send_stars_form_request, star_gift_invoice,
};
pub use resale::{resale_invoice, resale_listing, resale_page, resale_request};
pub use user_peer::{input_peer_user, resolve_username_request, resolved_user};
