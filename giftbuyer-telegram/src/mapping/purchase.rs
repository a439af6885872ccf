//! A purchase as Telegram runs it: `payments.getPaymentForm` with `inputInvoiceStarGift`, the
//! price check against the plan, then `payments.sendStarsForm` with the same invoice.

use giftbuyer_core::Stars;
use giftbuyer_core::ports::{PurchaseRequest, TelegramError};
use grammers_tl_types::{enums, functions, types};

use crate::errors::unexpected;

/// The currency code of Telegram Stars in invoices.
const STARS_CURRENCY: &str = "XTR";

/// `inputInvoiceStarGift#e8625e92 flags:# hide_name:flags.0?true include_upgrade:flags.2?true
/// peer:InputPeer gift_id:long message:flags.1?TextWithEntities` for a channel.
///
/// `include_upgrade` stays off: paying for the upgrade would cost more than the plan's price.
/// The message goes as plain text, without entities, like every text GiftBuyer sends.
pub fn star_gift_invoice(peer: enums::InputPeer, request: &PurchaseRequest) -> enums::InputInvoice {
    enums::InputInvoice::StarGift(types::InputInvoiceStarGift {
        hide_name: request.hide_name,
        include_upgrade: false,
        peer,
        gift_id: request.gift_id.get(),
        message: request.message.as_ref().map(|text| {
            enums::TextWithEntities::Entities(types::TextWithEntities {
                text: text.clone(),
                entities: Vec::new(),
            })
        }),
    })
}

/// `payments.getPaymentForm#37148dbb flags:# invoice:InputInvoice theme_params:flags.0?DataJSON`.
pub fn payment_form_request(invoice: enums::InputInvoice) -> functions::payments::GetPaymentForm {
    functions::payments::GetPaymentForm {
        invoice,
        theme_params: None,
    }
}

/// Checks the form Telegram returned and gives its `form_id` when it asks for exactly the
/// price the plan expects.
///
/// The price is the sum of the invoice's labelled prices in Stars (`XTR`). Any other form kind,
/// currency or amount refuses the purchase before a star is spent: a gift whose price changed
/// is reported as [`TelegramError::PriceChanged`], which stops the gift for every account.
pub fn check_payment_form(
    form: &enums::payments::PaymentForm,
    expected: Stars,
) -> Result<i64, TelegramError> {
    let (form_id, actual) = payment_form_price(form)?;
    if actual != expected {
        return Err(TelegramError::PriceChanged { expected, actual });
    }
    Ok(form_id)
}

/// The `form_id` and the price of a star gift form, the sum of its labelled prices in Stars;
/// any other form kind or currency is refused.
pub fn payment_form_price(
    form: &enums::payments::PaymentForm,
) -> Result<(i64, Stars), TelegramError> {
    let form = match form {
        enums::payments::PaymentForm::StarGift(form) => form,
        enums::payments::PaymentForm::Form(_) | enums::payments::PaymentForm::Stars(_) => {
            return Err(unexpected(
                "payments.getPaymentForm did not return a star gift form",
            ));
        }
    };
    let enums::Invoice::Invoice(invoice) = &form.invoice;
    if invoice.currency != STARS_CURRENCY {
        return Err(unexpected("the star gift form is not priced in Stars"));
    }
    let total = invoice
        .prices
        .iter()
        .try_fold(0i64, |sum, enums::LabeledPrice::Price(price)| {
            sum.checked_add(price.amount)
        })
        .ok_or_else(|| unexpected("the star gift form's prices overflow"))?;
    let actual =
        Stars::from_i64(total).map_err(|_| unexpected("the star gift form's price is negative"))?;
    Ok((form.form_id, actual))
}

/// `payments.sendStarsForm#7998c914 form_id:long invoice:InputInvoice`: pays the form.
pub fn send_stars_form_request(
    form_id: i64,
    invoice: enums::InputInvoice,
) -> functions::payments::SendStarsForm {
    functions::payments::SendStarsForm { form_id, invoice }
}

/// The outcome of `payments.sendStarsForm`.
///
/// `payments.paymentVerificationNeeded` means Telegram wants a confirmation in a browser before
/// it takes the Stars; nothing was paid, and an unattended buyer cannot confirm, so it is an
/// error that names the condition (the URL is left out: it is a one-time payment link).
pub fn payment_result(result: &enums::payments::PaymentResult) -> Result<(), TelegramError> {
    match result {
        enums::payments::PaymentResult::Result(_) => Ok(()),
        enums::payments::PaymentResult::PaymentVerificationNeeded(_) => {
            Err(TelegramError::PaymentVerificationNeeded)
        }
    }
}
