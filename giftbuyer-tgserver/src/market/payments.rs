//! Gift purchases as Telegram runs them: `payments.getPaymentForm(inputInvoiceStarGift)`
//! answers `payments.paymentFormStarGift` and keeps the form server-side (a resale form,
//! `inputInvoiceStarGiftResale`, is made in `resale` and kept the same way;
//! an auction bid's form, `inputInvoiceStarGiftAuctionBid`, is made in `auction`);
//! `payments.sendStarsForm` pays it through the market's account port (`buy_gift`, with its
//! latency, flood limits, faults and rules) and answers `payments.paymentResult` with the
//! updates of the purchase.
//!
//! A form is single use: it is marked used before the purchase runs, so a second
//! `sendStarsForm` for it (a resend under a new msg_id, which the protocol layer's replay check
//! cannot catch) answers `FORM_SUBMIT_DUPLICATE` and never buys twice. A purchase the market
//! refused for certain (sold out, balance too low, ...) frees the form again, as nothing was
//! paid; one whose outcome is unknown keeps it used. Forms expire after ten minutes
//! (`FORM_EXPIRED`, Telegram's documented lifetime) and at most [`MAX_FORMS`] are kept.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use giftbuyer_core::ports::{
    BidRequest, PurchaseRequest, ResalePurchaseRequest, TelegramAccount, TelegramError,
};
use giftbuyer_core::resale::Recipient;
use giftbuyer_core::{AccountId, GiftId, Stars};
use grammers_tl_types::{self as tl, Serializable, functions};

use super::{MarketBackend, telegram_error};
use crate::backend::CallContext;
use crate::rpc::{Reply, RpcFailure, decode};

/// How long a form can be paid: Telegram's `FORM_EXPIRED` says "more than 10 minutes ago".
pub(super) const FORM_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// The most forms kept at once; past it the oldest is forgotten (and answers `FORM_EXPIRED`).
pub(super) const MAX_FORMS: usize = 4096;
/// The currency of Telegram Stars in invoices.
const STARS_CURRENCY: &str = "XTR";

/// One payment form the server handed out.
#[derive(Debug, Clone)]
struct Form {
    account: AccountId,
    /// The invoice exactly as `getPaymentForm` received it; `sendStarsForm` must repeat it.
    invoice: Vec<u8>,
    /// What the form asks for, fixed when it was made.
    price: Stars,
    /// On the market's clock, so a virtual clock expires forms too.
    created: Duration,
    used: bool,
    what: FormFor,
}

/// What a form pays for.
#[derive(Debug, Clone)]
pub(super) enum FormFor {
    /// A catalog gift for a channel (`inputInvoiceStarGift`).
    Gift(GiftForm),
    /// A listed unique gift (`inputInvoiceStarGiftResale`).
    Resale { slug: String, recipient: Recipient },
    /// A bid in a gift's auction (`inputInvoiceStarGiftAuctionBid`): its new total and, for a
    /// raise, the bid that stood when the form was made.
    Bid {
        gift: GiftId,
        recipient: Recipient,
        total: Stars,
        standing: Option<Stars>,
    },
}

/// A catalog gift's form.
#[derive(Debug, Clone)]
pub(super) struct GiftForm {
    recipient: Recipient,
    gift: GiftId,
    hide_name: bool,
    message: Option<String>,
}

/// The forms handed out, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Forms {
    by_id: HashMap<i64, Form>,
    order: VecDeque<i64>,
}

impl Forms {
    fn insert(&mut self, id: i64, form: Form, now: Duration) {
        // Expired forms go first; only then is a live one forgotten to make room.
        while let Some(oldest) = self.order.front().copied() {
            let expired = self
                .by_id
                .get(&oldest)
                .is_none_or(|form| now.saturating_sub(form.created) > FORM_LIFETIME);
            if !expired && self.by_id.len() < MAX_FORMS {
                break;
            }
            self.order.pop_front();
            self.by_id.remove(&oldest);
        }
        self.by_id.insert(id, form);
        self.order.push_back(id);
    }

    /// Takes a form for payment: checks it and marks it used.
    fn take(
        &mut self,
        id: i64,
        account: AccountId,
        invoice: &[u8],
        now: Duration,
    ) -> Result<Form, RpcFailure> {
        let expired = || RpcFailure::bad_request("FORM_EXPIRED");
        // Another account's form is unknown to this one.
        let form = self
            .by_id
            .get_mut(&id)
            .filter(|form| form.account == account)
            .ok_or_else(expired)?;
        if now.saturating_sub(form.created) > FORM_LIFETIME {
            self.by_id.remove(&id);
            self.order.retain(|kept| *kept != id);
            return Err(expired());
        }
        if form.used {
            return Err(RpcFailure::bad_request("FORM_SUBMIT_DUPLICATE"));
        }
        if form.invoice != invoice {
            return Err(RpcFailure::bad_request("BOT_INVOICE_INVALID"));
        }
        form.used = true;
        Ok(form.clone())
    }

    /// Makes a form payable again after a purchase that certainly did not happen.
    fn release(&mut self, id: i64) {
        if let Some(form) = self.by_id.get_mut(&id) {
            form.used = false;
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.by_id.len()
    }
}

/// Message ids and pts of the purchases' service messages: one sequence for the whole server,
/// since the adapter reads neither and per-channel counters would grow with the channels.
#[derive(Debug, Default)]
pub(crate) struct Sequence(AtomicI32);

impl Sequence {
    fn next(&self) -> i32 {
        // Ids stay positive: past the largest one the sequence starts over at 1.
        let step = |value: i32| if value >= i32::MAX - 1 { 1 } else { value + 1 };
        self.0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |value| {
                Some(step(value))
            })
            .map_or(1, step)
    }
}

/// Whether the market refused a purchase for certain, so nothing was paid.
fn certainly_not_paid(error: &TelegramError) -> bool {
    !matches!(
        error,
        TelegramError::Network(_) | TelegramError::Timeout | TelegramError::AccountUnavailable(_)
    )
}

fn random_form_id() -> Result<i64, RpcFailure> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|_| RpcFailure::new(500, "INTERNAL_SERVER_ERROR"))?;
    // Positive and never zero, so `FORM_ID_EMPTY` stays meaningful.
    Ok((i64::from_le_bytes(bytes) & i64::MAX).max(1))
}

fn stars_amount(stars: Stars) -> i64 {
    i64::try_from(stars.get()).unwrap_or(i64::MAX)
}

impl MarketBackend {
    /// `payments.getPaymentForm` for `inputInvoiceStarGift`.
    ///
    /// Checked in this order: the invoice kind (`INVOICE_INVALID` for anything else), the
    /// peer (`PEER_ID_INVALID` unless the buyer itself, a person of the market's directory or
    /// a channel, with this account's access hash for them), the gift
    /// (`STARGIFT_INVALID` unknown or not yet released, `STARGIFT_USAGE_LIMITED` sold out),
    /// `include_upgrade` (`STARGIFT_UPGRADE_UNAVAILABLE`: the market's gifts cannot be
    /// upgraded). A channel's rights, Premium, limits and balance are the purchase's checks.
    pub(super) fn get_payment_form(
        &self,
        context: &CallContext,
        body: &[u8],
    ) -> Result<Reply, RpcFailure> {
        let request: functions::payments::GetPaymentForm = decode(body)?;
        let me = self.account(context)?.account_id();
        let invoice = match &request.invoice {
            tl::enums::InputInvoice::StarGift(invoice) => invoice,
            tl::enums::InputInvoice::StarGiftResale(resale) => {
                return self.resale_payment_form(context, &request.invoice, resale);
            }
            tl::enums::InputInvoice::StarGiftAuctionBid(bid) => {
                return self.auction_bid_payment_form(context, &request.invoice, bid);
            }
            _ => return Err(RpcFailure::bad_request("INVOICE_INVALID")),
        };
        let recipient = self.invoice_recipient(me, &invoice.peer)?;
        let gift = GiftId::new(invoice.gift_id)
            .ok()
            .and_then(|id| self.market().gift(id))
            .filter(|gift| gift.released)
            .ok_or_else(|| RpcFailure::bad_request("STARGIFT_INVALID"))?;
        if gift.sold_out {
            return Err(RpcFailure::bad_request("STARGIFT_USAGE_LIMITED"));
        }
        if invoice.include_upgrade {
            return Err(RpcFailure::bad_request("STARGIFT_UPGRADE_UNAVAILABLE"));
        }
        let message = invoice.message.as_ref().map(|text| {
            let tl::enums::TextWithEntities::Entities(text) = text;
            text.text.clone()
        });
        self.new_form(
            me,
            &request.invoice,
            gift.price,
            gift.title.clone().unwrap_or_else(|| "Gift".to_owned()),
            FormFor::Gift(GiftForm {
                recipient,
                gift: gift.id,
                hide_name: invoice.hide_name,
                message,
            }),
        )
    }

    /// Makes and keeps a form for `what`, priced `price`, and answers it.
    pub(super) fn new_form(
        &self,
        me: AccountId,
        invoice: &tl::enums::InputInvoice,
        price: Stars,
        label: String,
        what: FormFor,
    ) -> Result<Reply, RpcFailure> {
        let form_id = random_form_id()?;
        let now = self.market().clock().elapsed();
        self.forms().insert(
            form_id,
            Form {
                account: me,
                invoice: invoice.to_bytes(),
                price,
                created: now,
                used: false,
                what,
            },
            now,
        );
        Ok(star_form_answer(form_id, label, price))
    }
}

/// `payments.paymentFormStarGift` for a form: one labelled price in Stars.
fn star_form_answer(form_id: i64, label: String, price: Stars) -> Reply {
    Reply::answer(&tl::enums::payments::PaymentForm::StarGift(
        tl::types::payments::PaymentFormStarGift {
            form_id,
            invoice: tl::enums::Invoice::Invoice(tl::types::Invoice {
                test: false,
                name_requested: false,
                phone_requested: false,
                email_requested: false,
                shipping_address_requested: false,
                flexible: false,
                phone_to_provider: false,
                email_to_provider: false,
                recurring: false,
                currency: STARS_CURRENCY.to_owned(),
                prices: vec![tl::enums::LabeledPrice::Price(tl::types::LabeledPrice {
                    label,
                    amount: stars_amount(price),
                })],
                max_tip_amount: None,
                suggested_tip_amounts: None,
                terms_url: None,
                subscription_period: None,
            }),
        },
    ))
}

impl MarketBackend {
    /// `payments.sendStarsForm`: pays a form once.
    ///
    /// `FORM_ID_EMPTY` for id 0; `FORM_EXPIRED` for a form this account was never given, one
    /// forgotten or older than ten minutes; `FORM_SUBMIT_DUPLICATE` for one already paid;
    /// `BOT_INVOICE_INVALID` when the invoice is not the form's. Then the market buys, and its
    /// refusals answer with Telegram's names. A price that changed since the form answers
    /// `FORM_EXPIRED`, so the client asks for a new form and sees the new price there.
    pub(super) async fn send_stars_form(
        &self,
        context: &CallContext,
        body: &[u8],
    ) -> Result<Reply, RpcFailure> {
        let request: functions::payments::SendStarsForm = decode(body)?;
        let sim = self.account(context)?;
        let me = sim.account_id();
        if request.form_id == 0 {
            return Err(RpcFailure::bad_request("FORM_ID_EMPTY"));
        }
        let now = self.market().clock().elapsed();
        let invoice = request.invoice.to_bytes();
        let form = self.forms().take(request.form_id, me, &invoice, now)?;
        let bought = match &form.what {
            FormFor::Gift(gift) => sim
                .buy_gift(PurchaseRequest {
                    gift_id: gift.gift,
                    recipient: gift.recipient,
                    price: form.price,
                    hide_name: gift.hide_name,
                    message: gift.message.clone(),
                })
                .await
                .map(|_receipt| ()),
            FormFor::Resale { slug, recipient } => sim
                .buy_resale(ResalePurchaseRequest {
                    slug: slug.clone(),
                    recipient: *recipient,
                    price: form.price,
                })
                .await
                .map(|_receipt| ()),
            FormFor::Bid {
                gift,
                recipient,
                total,
                standing,
            } => sim
                .place_bid(BidRequest {
                    gift_id: *gift,
                    recipient: *recipient,
                    total: *total,
                    standing: *standing,
                })
                .await
                .map(|_receipt| ()),
        };
        match bought {
            Ok(()) => {
                let updates = match &form.what {
                    FormFor::Gift(gift) => self.purchase_updates(me, gift, form.price).await,
                    FormFor::Resale { .. } | FormFor::Bid { .. } => self.balance_updates(me),
                };
                Ok(Reply::answer(&tl::enums::payments::PaymentResult::Result(
                    tl::types::payments::PaymentResult { updates },
                )))
            }
            Err(error) => {
                if certainly_not_paid(&error) {
                    self.forms().release(request.form_id);
                }
                Err(match error {
                    TelegramError::PriceChanged { .. } => RpcFailure::bad_request("FORM_EXPIRED"),
                    other => telegram_error(&other),
                })
            }
        }
    }

    /// The updates of a purchase: the gift's service message in the channel
    /// (`updateNewChannelMessage` with `messageActionStarGift`, sent by the account) and the
    /// account's new star balance (`updateStarsBalance`), with the channel they mention.
    async fn purchase_updates(
        &self,
        me: AccountId,
        form: &GiftForm,
        price: Stars,
    ) -> tl::enums::Updates {
        let unix = i32::try_from(self.market().clock().unix_now().secs()).unwrap_or(i32::MAX);
        let snapshot = self.market().gift(form.gift);
        let gift = tl::enums::StarGift::Gift(tl::types::StarGift {
            limited: snapshot.as_ref().is_some_and(|gift| gift.supply.is_some()),
            sold_out: false,
            birthday: false,
            require_premium: false,
            limited_per_user: false,
            peer_color_available: false,
            auction: false,
            id: form.gift.get(),
            // The sticker's document belongs to the catalog; the message names it by id only.
            sticker: tl::enums::Document::Empty(tl::types::DocumentEmpty {
                id: form.gift.get(),
            }),
            stars: stars_amount(price),
            availability_remains: snapshot
                .as_ref()
                .and_then(|gift| gift.remaining)
                .map(|remaining| i32::try_from(remaining).unwrap_or(i32::MAX)),
            availability_total: snapshot
                .as_ref()
                .and_then(|gift| gift.supply)
                .map(|supply| i32::try_from(supply).unwrap_or(i32::MAX)),
            availability_resale: None,
            convert_stars: 0,
            first_sale_date: None,
            last_sale_date: None,
            upgrade_stars: None,
            resell_min_stars: None,
            title: snapshot.and_then(|gift| gift.title),
            released_by: None,
            per_user_total: None,
            per_user_remains: None,
            locked_until_date: None,
            auction_slug: None,
            gifts_per_round: None,
            auction_start_date: None,
            upgrade_variants: None,
            background: None,
        });
        let pts = self.inner.sequence.next();
        // A gift for a channel is a message in the channel; one for a person, or for the buyer
        // itself, a message in the private chat with them.
        let peer_id = match form.recipient {
            Recipient::Channel(channel) => tl::enums::Peer::Channel(tl::types::PeerChannel {
                channel_id: channel.mtproto_id(),
            }),
            Recipient::Buyer => tl::enums::Peer::User(tl::types::PeerUser { user_id: me.get() }),
            Recipient::User(name) => tl::enums::Peer::User(tl::types::PeerUser {
                user_id: self.market().person(&name).unwrap_or_default(),
            }),
        };
        let message = tl::enums::Message::Service(tl::types::MessageService {
            out: true,
            mentioned: false,
            media_unread: false,
            reactions_are_possible: false,
            silent: false,
            post: false,
            legacy: false,
            id: pts,
            from_id: Some(tl::enums::Peer::User(tl::types::PeerUser {
                user_id: me.get(),
            })),
            peer_id,
            saved_peer_id: None,
            reply_to: None,
            date: unix,
            action: tl::enums::MessageAction::StarGift(tl::types::MessageActionStarGift {
                name_hidden: form.hide_name,
                saved: false,
                converted: false,
                upgraded: false,
                refunded: false,
                can_upgrade: false,
                prepaid_upgrade: false,
                upgrade_separate: false,
                auction_acquired: false,
                gift,
                message: form.message.as_ref().map(|text| {
                    tl::enums::TextWithEntities::Entities(tl::types::TextWithEntities {
                        text: text.clone(),
                        entities: Vec::new(),
                    })
                }),
                convert_stars: None,
                upgrade_msg_id: None,
                upgrade_stars: None,
                from_id: None,
                peer: None,
                saved_id: None,
                prepaid_upgrade_hash: None,
                gift_msg_id: None,
                to_id: None,
                gift_num: None,
            }),
            reactions: None,
            ttl_period: None,
        });
        let mut updates = vec![match form.recipient {
            Recipient::Channel(_) => {
                tl::enums::Update::NewChannelMessage(tl::types::UpdateNewChannelMessage {
                    message,
                    pts,
                    pts_count: 1,
                })
            }
            Recipient::Buyer | Recipient::User(_) => {
                tl::enums::Update::NewMessage(tl::types::UpdateNewMessage {
                    message,
                    pts,
                    pts_count: 1,
                })
            }
        }];
        updates.extend(self.balance_update(me));
        let channel = form.recipient.channel().and_then(|wanted| {
            self.dialog_channels(me)
                .into_iter()
                .find(|channel| channel.id == wanted)
        });
        let chats = channel
            .map(|channel| vec![self.channel_chat(me, &channel)])
            .unwrap_or_default();
        tl::enums::Updates::Updates(tl::types::Updates {
            updates,
            users: Vec::new(),
            chats,
            date: unix,
            seq: 0,
        })
    }
}

impl MarketBackend {
    /// `updateStarsBalance` with the account's balance. It is read straight from the market: a
    /// second account call would count as a balance request and could meet that method's
    /// faults.
    fn balance_update(&self, me: AccountId) -> Option<tl::enums::Update> {
        self.market().balance(me).map(|balance| {
            tl::enums::Update::StarsBalance(tl::types::UpdateStarsBalance {
                balance: tl::enums::StarsAmount::Amount(tl::types::StarsAmount {
                    amount: stars_amount(balance),
                    nanos: 0,
                }),
            })
        })
    }

    /// The updates of a resale purchase: the account's new balance. (Telegram also sends the
    /// gift's service message; the adapter reads neither.)
    fn balance_updates(&self, me: AccountId) -> tl::enums::Updates {
        let unix = i32::try_from(self.market().clock().unix_now().secs()).unwrap_or(i32::MAX);
        tl::enums::Updates::Updates(tl::types::Updates {
            updates: self.balance_update(me).into_iter().collect(),
            users: Vec::new(),
            chats: Vec::new(),
            date: unix,
            seq: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(account: i64, created: Duration) -> Form {
        Form {
            account: AccountId::new(account).expect("id"),
            invoice: vec![1, 2, 3],
            price: Stars::new(10),
            created,
            used: false,
            what: FormFor::Gift(GiftForm {
                recipient: Recipient::Channel(
                    giftbuyer_core::ChannelId::new(-1_001_234_567_890).expect("channel"),
                ),
                gift: GiftId::new(5).expect("gift"),
                hide_name: false,
                message: None,
            }),
        }
    }

    fn me() -> AccountId {
        AccountId::new(1).expect("id")
    }

    #[test]
    fn a_form_is_paid_once() {
        let mut forms = Forms::default();
        forms.insert(7, form(1, Duration::ZERO), Duration::ZERO);
        assert!(forms.take(7, me(), &[1, 2, 3], Duration::ZERO).is_ok());
        let again = forms.take(7, me(), &[1, 2, 3], Duration::ZERO);
        assert_eq!(
            again.expect_err("used").message,
            "FORM_SUBMIT_DUPLICATE".to_owned()
        );
        forms.release(7);
        assert!(forms.take(7, me(), &[1, 2, 3], Duration::ZERO).is_ok());
    }

    #[test]
    fn unknown_foreign_old_and_mismatched_forms_are_refused() {
        let mut forms = Forms::default();
        forms.insert(7, form(1, Duration::ZERO), Duration::ZERO);
        let name = |result: Result<Form, RpcFailure>| result.expect_err("refused").message;
        assert_eq!(
            name(forms.take(8, me(), &[1, 2, 3], Duration::ZERO)),
            "FORM_EXPIRED"
        );
        let other = AccountId::new(2).expect("id");
        assert_eq!(
            name(forms.take(7, other, &[1, 2, 3], Duration::ZERO)),
            "FORM_EXPIRED"
        );
        assert_eq!(
            name(forms.take(7, me(), &[9], Duration::ZERO)),
            "BOT_INVOICE_INVALID"
        );
        let late = FORM_LIFETIME + Duration::from_secs(1);
        assert_eq!(name(forms.take(7, me(), &[1, 2, 3], late)), "FORM_EXPIRED");
        assert_eq!(forms.len(), 0);
    }

    #[test]
    fn the_form_store_is_bounded() {
        let mut forms = Forms::default();
        for id in 1..=(MAX_FORMS as i64 + 10) {
            forms.insert(id, form(1, Duration::ZERO), Duration::ZERO);
        }
        assert_eq!(forms.len(), MAX_FORMS);
        assert!(forms.take(1, me(), &[1, 2, 3], Duration::ZERO).is_err());
        assert!(
            forms
                .take(MAX_FORMS as i64 + 10, me(), &[1, 2, 3], Duration::ZERO)
                .is_ok()
        );
    }

    #[test]
    fn the_sequence_counts_up_and_wraps() {
        let sequence = Sequence::default();
        assert_eq!(sequence.next(), 1);
        assert_eq!(sequence.next(), 2);
        sequence.0.store(i32::MAX - 1, Ordering::Relaxed);
        assert_eq!(sequence.next(), 1);
    }
}
